/**
 * SQL with holes for aggregates. A measure formula compiles to a template
 * once; the planner renders it either with the aggregate SQL inlined (one
 * SELECT) or with references to a layer below (CTEs for cross-model measures
 * and, later, transforms), so the formula compiler never knows the layering.
 */
export interface SlotRef {
  slot: string;
}

export type SqlPart = string | SlotRef;
export type SqlTemplate = readonly SqlPart[];

export function sql(...parts: ReadonlyArray<SqlPart | SqlTemplate>): SqlTemplate {
  const out: SqlPart[] = [];
  for (const part of parts) {
    if (typeof part === 'string' || !Array.isArray(part)) out.push(part as SqlPart);
    else out.push(...(part as SqlTemplate));
  }
  return out;
}

export function joinTemplates(items: readonly SqlTemplate[], separator: string): SqlTemplate {
  const out: SqlPart[] = [];
  items.forEach((item, index) => {
    if (index > 0) out.push(separator);
    out.push(...item);
  });
  return out;
}

export function render(template: SqlTemplate, slotSql: (slot: string) => string): string {
  return template.map((part) => (typeof part === 'string' ? part : slotSql(part.slot))).join('');
}

export function slotsOf(template: SqlTemplate): string[] {
  return template.flatMap((part) => (typeof part === 'string' ? [] : [part.slot]));
}
