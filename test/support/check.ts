import { StaticCatalog } from '../../server/src/engine/catalog';
import {
  checkSlayerDocument,
  parseSlayerDocument,
  type FileLocation,
  type SlayerFileKind,
} from '../../server/src/engine/document';
import type { Problem } from '../../server/src/engine/schema/problems';
import type { DatasourceDef, ModelDef } from '../../server/src/engine/schema/types';

export interface CheckedText {
  text: string;
  problems: Problem[];
  /** The source text each problem points at. */
  spans: string[];
}

/** Decodes and checks one file the way the index does, against the given other files. */
export function checkText(
  kind: SlayerFileKind,
  text: string,
  others: { models?: string[]; datasources?: string[] } = {},
  location?: FileLocation,
): CheckedText {
  const options = { warnOnUnknownFields: true };
  const models: ModelDef[] = (others.models ?? []).flatMap((t) => parseSlayerDocument('model', t, options).model ?? []);
  const datasources: DatasourceDef[] = (others.datasources ?? []).flatMap(
    (t) => parseSlayerDocument('datasource', t, options).datasource ?? [],
  );
  const parsed = parseSlayerDocument(kind, text, options);
  if (parsed.model) models.push(parsed.model);
  const problems = [
    ...parsed.parseProblems,
    ...checkSlayerDocument(parsed, new StaticCatalog(models, datasources), location),
  ];
  return { text, problems, spans: problems.map((p) => text.slice(p.span.start, p.span.end)) };
}

export function withCode(checked: CheckedText, code: string): { problem: Problem; span: string }[] {
  return checked.problems.flatMap((problem, i) =>
    problem.code === code ? [{ problem, span: checked.spans[i] ?? '' }] : [],
  );
}

/** YAML from lines, so fixtures read like the files they stand for. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
