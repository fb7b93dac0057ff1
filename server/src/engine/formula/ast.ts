import type { Span } from '../schema/source';

/**
 * The syntax tree of SLayer formulas and filters. Spans are offsets into the
 * formula text, so errors point at the exact characters. The planner compiles
 * this tree; transforms are ordinary `call` nodes, which keeps nesting and
 * arithmetic over transforms free.
 */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | Placeholder
  | NameRef
  | AggregateRef
  | Call
  | Binary
  | Unary
  | Compare
  | Logical
  | InList
  | Like
  | IsNull;

export interface NumberLiteral {
  kind: 'number';
  value: number;
  text: string;
  span: Span;
}

export interface StringLiteral {
  kind: 'string';
  value: string;
  span: Span;
}

export interface BooleanLiteral {
  kind: 'boolean';
  value: boolean;
  span: Span;
}

export interface NullLiteral {
  kind: 'null';
  span: Span;
}

/** `{name}`: a query variable substituted before the query runs. */
export interface Placeholder {
  kind: 'placeholder';
  name: string;
  span: Span;
}

/** A bare or dotted name: a column, a named measure, or `customers.regions.name`. */
export interface NameRef {
  kind: 'ref';
  path: string[];
  span: Span;
}

export interface Kwarg {
  name: string;
  nameSpan: Span;
  value: Expr;
}

/** `revenue:sum`, `*:count`, `customers.score:avg`, `price:weighted_avg(weight=quantity)`. */
export interface AggregateRef {
  kind: 'agg';
  /** Column path, or '*' for row counts. */
  target: string[] | '*';
  targetSpan: Span;
  aggregation: string;
  aggregationSpan: Span;
  args: Expr[];
  kwargs: Kwarg[];
  span: Span;
}

/** A transform (`cumsum(x)`) or a scalar function (`coalesce(a, b)`). */
export interface Call {
  kind: 'call';
  name: string;
  nameSpan: Span;
  args: Expr[];
  kwargs: Kwarg[];
  span: Span;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '**';

export interface Binary {
  kind: 'binary';
  op: ArithmeticOp;
  left: Expr;
  right: Expr;
  span: Span;
}

export interface Unary {
  kind: 'unary';
  op: '-' | '+' | 'not';
  operand: Expr;
  span: Span;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface Compare {
  kind: 'compare';
  op: CompareOp;
  left: Expr;
  right: Expr;
  span: Span;
}

export interface Logical {
  kind: 'logical';
  op: 'and' | 'or';
  left: Expr;
  right: Expr;
  span: Span;
}

export interface InList {
  kind: 'in';
  negated: boolean;
  operand: Expr;
  items: Expr[];
  span: Span;
}

export interface Like {
  kind: 'like';
  negated: boolean;
  operand: Expr;
  pattern: Expr;
  span: Span;
}

export interface IsNull {
  kind: 'isNull';
  negated: boolean;
  operand: Expr;
  span: Span;
}

/** Visits every node depth-first, parents before children. */
export function walk(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  for (const child of children(expr)) walk(child, visit);
}

export function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'agg':
    case 'call':
      return [...expr.args, ...expr.kwargs.map((k) => k.value)];
    case 'binary':
    case 'compare':
    case 'logical':
      return [expr.left, expr.right];
    case 'unary':
    case 'isNull':
      return [expr.operand];
    case 'in':
      return [expr.operand, ...expr.items];
    case 'like':
      return [expr.operand, expr.pattern];
    default:
      return [];
  }
}
