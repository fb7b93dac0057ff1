/**
 * A generated SLayer workspace of any size for the language-server benchmark:
 * folders of 100 models, each model with a primary key, a foreign key joined
 * to the previous model, a sampled column, a filtered column and measures (one
 * cross-model); per folder a datasource, a query-backed model and a query file.
 * No database exists: every hover is what the server can say without one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const MODELS_PER_FOLDER = 100;

export interface GeneratedWorkspace {
  root: string;
  /** Every table model file, in generation order. */
  models: string[];
  queries: string[];
}

export function modelName(folder: number, index: number): string {
  return `m_${folder}_${index}`;
}

export function modelText(folder: number, index: number, description = `Model ${index} of folder ${folder}.`): string {
  const previous = index > 0 ? modelName(folder, index - 1) : undefined;
  return [
    `# Generated model ${index} of folder ${folder}.`,
    `name: ${modelName(folder, index)}`,
    `sql_table: t_${folder}_${index}`,
    `data_source: ds_${folder}`,
    `description: ${description}`,
    'columns:',
    '  - name: id',
    '    type: INT',
    '    primary_key: true',
    '  - name: parent_id',
    '    type: INT',
    '  - name: status',
    '    type: TEXT',
    '    label: Status',
    '    sampled: paid, pending, refunded',
    '  - name: amount',
    '    type: DOUBLE',
    '  - name: created_at',
    '    type: TIMESTAMP',
    '  - name: paid_amount',
    '    type: DOUBLE',
    '    sql: amount',
    `    filter: "status = 'paid'"`,
    'measures:',
    '  - name: revenue',
    '    formula: amount:sum',
    ...(previous ? ['  - name: parent_revenue', `    formula: ${previous}.amount:sum`] : []),
    ...(previous ? ['joins:', `  - target_model: ${previous}`, '    join_pairs: [[parent_id, id]]'] : []),
    '',
  ].join('\n');
}

function queryBackedText(folder: number): string {
  return [
    `name: qb_${folder}`,
    `data_source: ds_${folder}`,
    'source_queries:',
    `  - source_model: ${modelName(folder, 1)}`,
    '    dimensions: [status]',
    '    measures: ["*:count", "amount:sum"]',
    '',
  ].join('\n');
}

function queryText(folder: number): string {
  return [
    `source_model: ${modelName(folder, 2)}`,
    `dimensions: [status, ${modelName(folder, 1)}.status]`,
    'measures: ["revenue", "*:count"]',
    `filters: ["amount > 10"]`,
    '',
  ].join('\n');
}

export function generateWorkspace(root: string, modelCount: number): GeneratedWorkspace {
  const folders = Math.ceil(modelCount / MODELS_PER_FOLDER);
  const models: string[] = [];
  const queries: string[] = [];
  for (let folder = 0; folder < folders; folder++) {
    const dir = path.join(root, 'models', `ds_${folder}`);
    mkdirSync(dir, { recursive: true });
    write(root, `datasources/ds_${folder}.yaml`, `name: ds_${folder}\ntype: sqlite\ndatabase: data/ds_${folder}.db\n`);
    const inFolder = Math.min(MODELS_PER_FOLDER, modelCount - folder * MODELS_PER_FOLDER);
    for (let index = 0; index < inFolder; index++) {
      models.push(write(root, `models/ds_${folder}/${modelName(folder, index)}.yaml`, modelText(folder, index)));
    }
    write(root, `models/ds_${folder}/qb_${folder}.yaml`, queryBackedText(folder));
    queries.push(write(root, `queries/q_${folder}.query.yaml`, queryText(folder)));
  }
  return { root, models, queries };
}

function write(root: string, relative: string, text: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/**
 * For the rename figure: one `hub` model whose `region` column is used in
 * `users` other model files (a join to the hub and a measure over
 * `hub.region`), all in one data source.
 */
export function generateHubWorkspace(root: string, users: number): { hub: string; users: string[] } {
  write(root, 'datasources/ds_hub.yaml', 'name: ds_hub\ntype: sqlite\ndatabase: data/hub.db\n');
  const hubColumns = [
    { name: 'id', type: 'INT', key: true },
    { name: 'region', type: 'TEXT', key: false },
  ].map(
    (column) => `  - name: ${column.name}\n    type: ${column.type}\n${column.key ? '    primary_key: true\n' : ''}`,
  );
  const hubText = `name: hub\nsql_table: hub\ndata_source: ds_hub\ncolumns:\n${hubColumns.join('')}`;
  const hub = write(root, 'models/ds_hub/hub.yaml', hubText);
  const files: string[] = [];
  for (let i = 0; i < users; i++) {
    const text = [
      `name: user_${i}`,
      `sql_table: user_${i}`,
      'data_source: ds_hub',
      'columns:',
      '  - name: id',
      '    type: INT',
      '    primary_key: true',
      '  - name: hub_id',
      '    type: INT',
      'measures:',
      '  - name: regions',
      '    formula: hub.region:count_distinct',
      'joins:',
      '  - target_model: hub',
      '    join_pairs: [[hub_id, id]]',
      '',
    ].join('\n');
    files.push(write(root, `models/ds_hub/user_${i}.yaml`, text));
  }
  return { hub, users: files };
}
