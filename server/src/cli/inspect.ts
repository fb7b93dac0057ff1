import { SlayerError } from '../../../shared/src/errors';
import type { ModelInspection } from '../engine/query/inspect';
import { choiceOption, stringOption, type ParsedArgs } from './args';
import { headlessEngine, loadStorage, reportFailures, singleRoot } from './storage';
import { formatTable } from './table';

/** `slayer-ls inspect MODEL`: the model's columns, measures and joins, with its row count and samples. */
export async function runInspectCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const format = choiceOption(args, 'format', ['table', 'json'] as const, 'table');
  const folder = stringOption(args, 'storage') ?? '.';
  const name = args.positionals[0];
  if (!name) throw new SlayerError('SLAYER_INVALID_INPUT', 'slayer-ls inspect needs a model name.');
  return reportFailures('inspect', err, async () => {
    const loaded = await loadStorage(folder);
    const root = singleRoot(loaded, folder);
    const inspection = await headlessEngine(loaded, !args.options.has('no-write-back')).inspectByName(root, name);
    out.write(format === 'json' ? `${JSON.stringify(inspection, null, 2)}\n` : formatInspection(inspection));
  });
}

function formatInspection(inspection: ModelInspection): string {
  const source = inspection.sql_table ?? (inspection.sql ? 'sql' : 'source_queries');
  const lines = [
    `Model ${inspection.model_name} (data source ${inspection.data_source}, ${inspection.source_type} ${source})`,
    ...(inspection.description ? [inspection.description] : []),
    `${inspection.row_count} rows`,
    '',
    formatTable(
      ['column', 'type', 'key', 'label', 'sampled'],
      inspection.columns.map((c) => ({
        column: c.name,
        type: c.type,
        key: c.primary_key ? 'yes' : '',
        label: c.label ?? '',
        sampled: c.sampled ?? '',
      })),
    ),
  ];
  if (inspection.measures.length > 0) {
    lines.push(
      '',
      formatTable(
        ['measure', 'formula', 'label'],
        inspection.measures.map((m) => ({ measure: m.name ?? '', formula: m.formula, label: m.label ?? '' })),
      ),
    );
  }
  if (inspection.joins.length > 0) {
    lines.push(
      '',
      ...inspection.joins.map(
        (j) => `joins ${j.target_model} on ${j.join_pairs.map(([a, b]) => `${a} = ${b}`).join(' and ')}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
