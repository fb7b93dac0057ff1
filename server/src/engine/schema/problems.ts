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

/**
 * A quick fix that edits the column instead of the formula: add `aggregation`
 * to `allowed_aggregations` of `model`'s `column` (after `allowed`, what the
 * column allows now), wherever that model's file is.
 */
export interface AllowAggregation {
  model: string;
  column: string;
  aggregation: string;
  allowed: string[];
}

/** One finding about one file, located by offsets into that file's text. */
export interface Problem {
  span: Span;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  suggestion?: NameSuggestion & { allow?: AllowAggregation };
}

/** Collects problems for one file while it is decoded and validated. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  error(code: DiagnosticCode, span: Span, message: string, suggestion?: Problem['suggestion']): void {
    this.problems.push({ span, severity: 'error', code, message, ...(suggestion ? { suggestion } : {}) });
  }

  warning(code: DiagnosticCode, span: Span, message: string, suggestion?: Problem['suggestion']): void {
    this.problems.push({ span, severity: 'warning', code, message, ...(suggestion ? { suggestion } : {}) });
  }

  info(code: DiagnosticCode, span: Span, message: string, suggestion?: Problem['suggestion']): void {
    this.problems.push({ span, severity: 'info', code, message, ...(suggestion ? { suggestion } : {}) });
  }
}
