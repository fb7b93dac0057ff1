import type { DiagnosticCode } from '../../../../shared/src/diagnostics';
import type { ModelCatalog } from '../catalog';
import type { Path, SourceMap } from '../schema/decode';
import type { Problem, ProblemSink } from '../schema/problems';
import type { Span } from '../schema/source';

/** What a rule needs: where to report, how to locate a path, and the rest of the workspace. */
export class CheckContext {
  constructor(
    readonly sink: ProblemSink,
    readonly sources: SourceMap,
    readonly catalog: ModelCatalog,
  ) {}

  at(path: Path): Span {
    return this.sources.best(path);
  }

  keyAt(path: Path): Span {
    return this.sources.key(path) ?? this.sources.best(path);
  }

  /** The span of characters inside a string value (a formula), falling back to the whole value. */
  inside(path: Path, span: Span): Span {
    return this.sources.inner(path, span.start, span.end);
  }

  error(code: DiagnosticCode, span: Span, message: string, suggestion?: Problem['suggestion']): void {
    this.sink.error(code, span, message, suggestion);
  }

  warning(code: DiagnosticCode, span: Span, message: string, suggestion?: Problem['suggestion']): void {
    this.sink.warning(code, span, message, suggestion);
  }
}
