import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { tokenize, type Token } from '../formula/lexer';
import type { Path } from '../schema/decode';
import { ALL_TRANSFORMS } from '../vocabulary';
import type { CheckContext } from './context';

/**
 * Model filters and column filters are SQL, not SLayer formulas: SLayer rejects
 * aggregation colons and transform calls there. We look only for those two
 * constructs; the rest is the database's SQL, which we do not second-guess.
 */
export function checkSqlModePredicate(text: string, path: Path, ctx: CheckContext, what: string): void {
  const tokens = safeTokens(text);
  if (!tokens) return;
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    const isCast = next?.kind === ':' && after?.kind === ':';
    const isAggregation =
      (token.kind === 'ident' || token.text === '*') && next?.kind === ':' && after?.kind === 'ident' && !isCast;
    const previousIsColon = tokens[i - 1]?.kind === ':';
    if (isAggregation && !previousIsColon && after) {
      ctx.error(
        DiagnosticCode.SqlModeFilter,
        ctx.inside(path, { start: token.span.start, end: after.span.end }),
        `${what} is plain SQL: '${token.text}:${after.text}' is formula syntax. Put aggregated conditions in a query's filters.`,
      );
    }
    if (token.kind === 'ident' && ALL_TRANSFORMS.has(token.text) && next?.kind === '(' && !previousIsColon) {
      ctx.error(
        DiagnosticCode.SqlModeFilter,
        ctx.inside(path, token.span),
        `${what} is plain SQL: the transform '${token.text}(...)' is only allowed in query measures and filters.`,
      );
    }
  });
}

function safeTokens(text: string): Token[] | undefined {
  try {
    return tokenize(text);
  } catch {
    return undefined;
  }
}
