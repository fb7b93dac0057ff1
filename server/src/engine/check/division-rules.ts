import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { walk, type Expr } from '../formula/ast';
import type { Path } from '../schema/decode';
import { dialectOfDatasource } from '../schema/datasource-types';
import type { ModelDef } from '../schema/types';
import type { DialectName } from '../sql/dialect-kit';
import { normalizeAggregationName } from '../vocabulary';
import type { CheckContext } from './context';

/**
 * The engines where `/` of two integers is integer division (3 / 4 is 0).
 * SLayer sends a formula's `/` as written, and so does this engine, so a
 * ratio of two counts is 0 there and a fraction on DuckDB, MySQL, ClickHouse,
 * Snowflake, BigQuery and Databricks: the same model, two answers, no error.
 */
const TRUNCATING: Partial<Record<DialectName, string>> = {
  sqlite: 'SQLite',
  postgres: 'Postgres',
  redshift: 'Redshift',
  sqlserver: 'SQL Server',
  trino: 'Trino, Presto and Athena',
};

/** Aggregations whose result is an integer on every engine above. */
const INTEGER_AGGREGATIONS = new Set(['count', 'count_distinct']);

/**
 * Warns at each `/` whose two sides are certainly integers (counts, whole
 * number literals, and sums, differences and products of those) when the
 * model's datasource truncates integer division. Sides it cannot type (a
 * column, a named measure, a function) are never warned about: the warning
 * must not cry wolf.
 */
export function checkIntegerDivision(expr: Expr, path: Path, model: ModelDef, text: string, ctx: CheckContext): void {
  const engine = truncatingEngineOf(model, ctx);
  if (!engine) return;
  walk(expr, (node) => {
    if (node.kind !== 'binary' || node.op !== '/' || !isInteger(node.left) || !isInteger(node.right)) return;
    // At the operator: a side's span leaves out its parentheses, so the two sides' extent is not a clean range.
    const slash = text.indexOf('/', node.left.span.end);
    ctx.warning(
      DiagnosticCode.IntegerDivision,
      ctx.inside(path, { start: slash, end: slash + 1 }),
      `On ${engine} this divides two integers, which truncates: 3 / 4 is 0. SLayer sends '/' as written, so ` +
        `DuckDB or MySQL would answer with a fraction. For a fraction everywhere, write ` +
        `'${operand(node.left, text)} * 1.0 / ${operand(node.right, text)}'.`,
      // The quick fix: the operator alone changes, which keeps each side's grouping as written.
      { wrong: '/', replacements: ['* 1.0 /'] },
    );
  });
}

/** A side's text, in parentheses when it is itself an operation, so the suggested rewrite keeps its meaning. */
function operand(expr: Expr, text: string): string {
  const own = text.slice(expr.span.start, expr.span.end);
  return expr.kind === 'binary' ? `(${own})` : own;
}

function truncatingEngineOf(model: ModelDef, ctx: CheckContext): string | undefined {
  const datasource = model.data_source ? ctx.catalog.getDatasource(model.data_source) : undefined;
  // A datasource of no known type has no dialect; its own diagnostic says so.
  const dialect = datasource && dialectOfDatasource(datasource);
  return dialect && TRUNCATING[dialect];
}

function isInteger(expr: Expr): boolean {
  switch (expr.kind) {
    case 'agg':
      return INTEGER_AGGREGATIONS.has(normalizeAggregationName(expr.aggregation));
    case 'number':
      return /^\d+$/.test(expr.text);
    case 'unary':
      return expr.op !== 'not' && isInteger(expr.operand);
    case 'binary':
      return (expr.op === '+' || expr.op === '-' || expr.op === '*') && isInteger(expr.left) && isInteger(expr.right);
    default:
      return false;
  }
}
