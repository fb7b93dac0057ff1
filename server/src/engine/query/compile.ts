import { SlayerError } from '../../../../shared/src/errors';
import type { AggregateRef, Call, Expr, NameRef } from '../formula/ast';
import type { Span } from '../schema/source';
import { closestName } from '../suggest';
import { ALL_TRANSFORMS, SCALAR_FUNCTIONS } from '../vocabulary';
import { invalidQuery, repr } from './errors';
import type { SourceScope } from './scope';
import { sql, joinTemplates, type SqlTemplate } from './template';

/** A compile error tied to the characters of the formula that caused it. */
export class FormulaFailure extends Error {
  constructor(
    readonly error: SlayerError,
    readonly span: Span,
  ) {
    super(error.message);
  }
}

/**
 * What a formula can see. Row formulas (WHERE) see columns; aggregate
 * formulas (measures, HAVING) also see aggregates and named measures.
 */
export interface CompileContext {
  scope: SourceScope;
  aggregates: boolean;
  /** Registers an aggregate and returns the template that stands for it. */
  aggregate(ref: AggregateRef): SqlTemplate;
  /** A query measure alias or a saved measure name; undefined when the name is not one. */
  namedMeasure(name: string, ref: NameRef): SqlTemplate | undefined;
  /** A transform call (`cumsum(x)`); absent where transforms cannot be (row filters). */
  transform?(call: Call): SqlTemplate;
  /**
   * A column read outside any aggregate in an aggregate formula. Only a
   * query dimension has one value per group; anything else would be read
   * from an arbitrary row of the group (SQLite) or rejected (Postgres).
   */
  groupedColumn?(ref: NameRef): SqlTemplate;
  /** A column read in a row formula; by default the scope resolves it. Filters word an unknown name as SLayer does. */
  column?(ref: NameRef): SqlTemplate;
  /** What is being compiled, for SLayer's messages that quote it ("Unknown function 'f' in formula 'x'"). */
  source?: FormulaSource;
}

/** A measure formula (or order item) or a filter, as written. */
export interface FormulaSource {
  kind: 'formula' | 'filter';
  text: string;
}

export function compileExpr(expr: Expr, ctx: CompileContext): SqlTemplate {
  try {
    return compileNode(expr, ctx);
  } catch (error) {
    if (error instanceof FormulaFailure || !(error instanceof SlayerError)) throw error;
    throw new FormulaFailure(error, expr.span);
  }
}

function compileNode(expr: Expr, ctx: CompileContext): SqlTemplate {
  switch (expr.kind) {
    case 'number':
      return [expr.text];
    case 'string':
      return [ctx.scope.dialect.stringLiteral(expr.value)];
    case 'boolean':
      return [ctx.scope.dialect.booleanLiteral(expr.value)];
    case 'null':
      return ['NULL'];
    case 'placeholder':
      throw invalidQuery(`Variable '{${expr.name}}' was not substituted; pass it in variables.`);
    case 'ref':
      return compileRef(expr, ctx);
    case 'agg':
      return compileAggregate(expr, ctx);
    case 'call':
      return compileCall(expr, ctx);
    case 'binary': {
      const left = compileExpr(expr.left, ctx);
      const right = compileExpr(expr.right, ctx);
      if (expr.op === '**') return sql('POWER(', left, ', ', right, ')');
      if (expr.op === '%') return spliceArguments(ctx.scope.dialect.remainder(marker(0), marker(1)), [left, right]);
      return sql('(', left, ` ${expr.op} `, right, ')');
    }
    case 'unary':
      return expr.op === 'not'
        ? sql('NOT (', compileExpr(expr.operand, ctx), ')')
        : sql(`${expr.op}(`, compileExpr(expr.operand, ctx), ')');
    case 'compare':
      return sql(compileExpr(expr.left, ctx), ` ${expr.op === '!=' ? '<>' : expr.op} `, compileExpr(expr.right, ctx));
    case 'logical':
      return sql('(', compileExpr(expr.left, ctx), ` ${expr.op.toUpperCase()} `, compileExpr(expr.right, ctx), ')');
    case 'in': {
      const items = joinTemplates(
        expr.items.map((item) => compileExpr(item, ctx)),
        ', ',
      );
      return sql(compileExpr(expr.operand, ctx), expr.negated ? ' NOT IN (' : ' IN (', items, ')');
    }
    case 'like':
      return sql(
        compileExpr(expr.operand, ctx),
        expr.negated ? ' NOT LIKE ' : ' LIKE ',
        compileExpr(expr.pattern, ctx),
      );
    case 'isNull':
      return sql(compileExpr(expr.operand, ctx), expr.negated ? ' IS NOT NULL' : ' IS NULL');
  }
}

function compileRef(ref: NameRef, ctx: CompileContext): SqlTemplate {
  if (ctx.aggregates && ref.path.length === 1) {
    const named = ctx.namedMeasure(ref.path[0] ?? '', ref);
    if (named) return named;
  }
  if (ctx.aggregates && ctx.groupedColumn) return ctx.groupedColumn(ref);
  if (ctx.column) return ctx.column(ref);
  return [ctx.scope.resolveColumn(ref.path).sql];
}

function compileAggregate(ref: AggregateRef, ctx: CompileContext): SqlTemplate {
  if (!ctx.aggregates) {
    throw invalidQuery('Aggregations are not allowed here: this formula is evaluated per row.');
  }
  return ctx.aggregate(ref);
}

function compileCall(call: Call, ctx: CompileContext): SqlTemplate {
  if (ALL_TRANSFORMS.has(call.name)) {
    if (!ctx.transform)
      throw invalidQuery(`Transform '${call.name}' is not allowed here: this formula is evaluated per row.`);
    return ctx.transform(call);
  }
  if (!SCALAR_FUNCTIONS.has(call.name.toLowerCase())) throw unknownFunction(call.name, ctx.source);
  if (call.kwargs.length > 0) throw scalarKeywords(call.name.toLowerCase(), ctx.source);
  // Arguments render independently; placeholders keep their own slots, so the join happens on text parts.
  const args = call.args.map((arg) => compileExpr(arg, ctx));
  const shell = ctx.scope.dialect.scalarCall(
    call.name,
    args.map((_, index) => marker(index)),
  );
  return spliceArguments(shell, args);
}

/** SLayer's words for a call of a function it does not know, in a filter or in a measure formula. */
export function unknownFunctionMessage(name: string, source: FormulaSource | undefined): string {
  if (source?.kind === 'filter') return `Unknown filter function '${name}' in: ${repr(source.text)}.`;
  const where = source ? ` in formula ${repr(source.text)}` : '';
  return (
    `Unknown function '${name}'${where}. Supported scalar functions: ${[...SCALAR_FUNCTIONS].sort().join(', ')}. ` +
    `Transforms: ${[...ALL_TRANSFORMS].sort().join(', ')}.`
  );
}

function unknownFunction(name: string, source: FormulaSource | undefined): SlayerError {
  const suggestion = closestName(name, [...SCALAR_FUNCTIONS, ...ALL_TRANSFORMS]);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
  return invalidQuery(`${unknownFunctionMessage(name, source)}${hint}`);
}

/** Scalar functions take positional arguments only. */
function scalarKeywords(name: string, source: FormulaSource | undefined): SlayerError {
  if (source?.kind === 'filter') {
    return invalidQuery(`Filter scalar function '${name}' does not accept keyword arguments: ${repr(source.text)}.`);
  }
  return invalidQuery(
    `'${name}' does not accept keyword arguments.${source ? ` Formula: ${repr(source.text)}.` : ''} Pass them positionally, as in round(x, 2).`,
  );
}

/** Stands in for an argument while the dialect spells the call; it cannot occur in SQL text. */
const ARGUMENT_MARK = '\u0001';

const marker = (index: number): string => `${ARGUMENT_MARK}${index}${ARGUMENT_MARK}`;

/** Puts compiled argument templates into the dialect's spelling of a call. */
function spliceArguments(shell: string, args: readonly SqlTemplate[]): SqlTemplate {
  const pieces = shell.split(new RegExp(`${ARGUMENT_MARK}(\\d+)${ARGUMENT_MARK}`));
  const out: SqlTemplate[] = [];
  pieces.forEach((piece, index) => {
    if (index % 2 === 0) out.push([piece]);
    else out.push(args[Number(piece)] ?? []);
  });
  return sql(...out);
}
