import type { DiagnosticCode, Severity } from '../../../../shared/src/diagnostics';
import type { Span } from './source';

/** One finding about one file, located by offsets into that file's text. */
export interface Problem {
  span: Span;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

/** Collects problems for one file while it is decoded and validated. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  error(code: DiagnosticCode, span: Span, message: string): void {
    this.problems.push({ span, severity: 'error', code, message });
  }

  warning(code: DiagnosticCode, span: Span, message: string): void {
    this.problems.push({ span, severity: 'warning', code, message });
  }

  info(code: DiagnosticCode, span: Span, message: string): void {
    this.problems.push({ span, severity: 'info', code, message });
  }
}
