import type { DiagnosticCode, Severity } from '../../../../shared/src/diagnostics';
import type { Span } from './source';

/**
 * A quick fix a problem carries: `wrong`, the name as written somewhere in
 * the problem's span, can become any of `replacements` (the first is the
 * likeliest). The editor applies it as a byte-range edit of just that name.
 */
export interface NameSuggestion {
  wrong: string;
  replacements: string[];
}

/** One finding about one file, located by offsets into that file's text. */
export interface Problem {
  span: Span;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  suggestion?: NameSuggestion;
}

/** Collects problems for one file while it is decoded and validated. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  error(code: DiagnosticCode, span: Span, message: string, suggestion?: NameSuggestion): void {
    this.problems.push({ span, severity: 'error', code, message, ...(suggestion ? { suggestion } : {}) });
  }

  warning(code: DiagnosticCode, span: Span, message: string, suggestion?: NameSuggestion): void {
    this.problems.push({ span, severity: 'warning', code, message, ...(suggestion ? { suggestion } : {}) });
  }

  info(code: DiagnosticCode, span: Span, message: string, suggestion?: NameSuggestion): void {
    this.problems.push({ span, severity: 'info', code, message, ...(suggestion ? { suggestion } : {}) });
  }
}
