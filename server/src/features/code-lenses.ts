import type { CodeLens } from 'vscode-languageserver';
import { Commands } from '../../../shared/src/commands';
import { formatCell } from '../../../shared/src/number-format';
import { LineIndex } from '../engine/schema/source';
import type { Path } from '../engine/schema/decode';
import type { FileState } from '../workspace/index';
import type { MeasureValue } from './engine-requests';

/** What the lenses need beyond the file: a measure's last value and the clock, so "2 min ago" is testable. */
export interface LensContext {
  lastMeasureValue(measure: string): MeasureValue | undefined;
  now: number;
}

/**
 * Lenses: "Run query" and "SQL" on a query file's first line, as Malloy
 * puts them on each query; "Preview" and "Inspect" on a model's; "Run stage"
 * and "SQL" above each stage of a query list or of a model's source_queries;
 * and "Run" above each saved measure, with its last value once run.
 */
export function codeLensesFor(state: FileState, uri: string, context: LensContext): CodeLens[] {
  const lines = new LineIndex(state.parsed.text);
  const lens = (offset: number, title: string, command: string, ...rest: unknown[]): CodeLens => {
    const at = lines.positionAt(offset);
    return { range: { start: at, end: at }, command: { title, command, arguments: [uri, ...rest] } };
  };
  const startOf = (path: Path): number => state.parsed.sources.value(path)?.start ?? 0;
  const stageLenses = (path: (i: number) => Path, run: string, count: number): CodeLens[] =>
    Array.from({ length: count }, (_, i) => [
      lens(startOf(path(i)), '$(play) Run stage', run, i),
      lens(startOf(path(i)), 'SQL', Commands.showSql, i),
    ]).flat();
  const { model, queries, queryIsList } = state.parsed;
  if (state.classified.kind === 'query') {
    const top = [lens(0, '$(play) Run query', Commands.runQuery), lens(0, 'SQL', Commands.showSql)];
    const stages = queryIsList && queries && queries.length > 1 ? queries.length : 0;
    return [...top, ...stageLenses((i) => [i], Commands.runQuery, stages)];
  }
  if (state.classified.kind !== 'model' || !model?.name) return [];
  const top = [lens(0, '$(table) Preview', Commands.previewModel), lens(0, 'Inspect', Commands.inspectModel)];
  const stages = stageLenses((i) => ['source_queries', i], Commands.previewModel, model.source_queries?.length ?? 0);
  const measures = model.measures.flatMap((measure, i) =>
    measure.name
      ? [
          lens(
            startOf(['measures', i]),
            measureLensTitle(context.lastMeasureValue(measure.name), context.now),
            Commands.runMeasure,
            measure.name,
          ),
        ]
      : [],
  );
  return [...top, ...stages, ...measures];
}

/** `▶ Run`, then `▶ Run · 1,234,567.89 (2 min ago)` once the measure has run. */
export function measureLensTitle(last: MeasureValue | undefined, now: number): string {
  if (!last) return '$(play) Run';
  return `$(play) Run · ${displayValue(last)} (${ago(now - last.at)})`;
}

/** Formatted as the results grid formats it; an unformatted number is grouped, with two decimals at most. */
function displayValue({ value, format }: MeasureValue): string {
  if (value === undefined) return 'no rows';
  if (typeof value === 'number' && !format) return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return formatCell(value, format);
}

function ago(millis: number): string {
  const minutes = Math.floor(millis / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours} h ago` : `${Math.floor(hours / 24)} d ago`;
}
