import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import type { FieldFormat, QueryResult, RunTarget } from '../../../shared/src/protocol';
import { executeQuery, modelStages, type EngineHost } from '../engine/query/execute';
import { referencedNames } from '../engine/query/stages';
import type { SlayerResponse } from '../engine/query/response';
import type { ModelDef, QueryDef, TimeGranularity } from '../engine/schema/types';
import type { FileState, WorkspaceIndex } from '../workspace/index';

export interface RunQueryRequest {
  file: string;
  dryRun: boolean;
  maxRows: number;
  signal: AbortSignal;
  /** One stage (0-based) of a query list or of a model's source_queries; default: the whole. */
  stage?: number | undefined;
}

/**
 * Runs a query file as the index holds it (the editor's unsaved text wins
 * over the disk), against the catalog of its own storage root.
 */
export async function runQueryFile(
  index: WorkspaceIndex,
  engineFor: (root: string) => EngineHost,
  request: RunQueryRequest,
): Promise<QueryResult> {
  const state = index.get(request.file);
  if (!state || state.classified.kind !== 'query') {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `${request.file} is not a query file (*.query.yaml) of a storage root.`,
    );
  }
  const stages = state.parsed.queries ?? [];
  const error = firstError(state) ?? (stages.length === 0 ? 'no query found' : undefined);
  if (error) throw new SlayerError(ErrorCode.InvalidInput, `The query file has errors; fix them first (${error}).`);
  return runTimed(stageAsRoot(stages, request.stage), engineFor(state.root ?? ''), request);
}

/**
 * A model file's first rows, as the index holds it: a query-backed model's
 * result; a table model's distinct rows over its visible columns (SLayer
 * queries group, so rows repeated in the table show once).
 */
export async function previewModelFile(
  index: WorkspaceIndex,
  engineFor: (root: string) => EngineHost,
  request: RunQueryRequest,
): Promise<QueryResult> {
  const { state, model } = soundModelFile(index, request.file);
  const stages = model.source_queries ? stagesUpTo(modelStages(model), request.stage) : [previewQuery(model)];
  return runTimed(stages, engineFor(state.root ?? ''), request, model.data_source || undefined);
}

/**
 * A saved measure by the model's default time dimension at `granularity`
 * (overall when the model has none), as its code lens runs it.
 */
export async function runMeasureFile(
  index: WorkspaceIndex,
  engineFor: (root: string) => EngineHost,
  request: RunQueryRequest & { measure: string; granularity: TimeGranularity },
): Promise<QueryResult> {
  const { state, model } = soundModelFile(index, request.file);
  if (!model.measures.some((measure) => measure.name === request.measure)) {
    throw new SlayerError(ErrorCode.NotFound, `Model '${model.name}' has no saved measure '${request.measure}'.`);
  }
  const query = measureQuery(model, request.measure, request.granularity);
  return runTimed([query], engineFor(state.root ?? ''), request, model.data_source || undefined);
}

function measureQuery(model: ModelDef, measure: string, granularity: TimeGranularity): QueryDef {
  const time = model.default_time_dimension;
  return {
    version: 3,
    source_model: { kind: 'name', name: model.name },
    measures: [{ formula: measure }],
    ...(time ? { time_dimensions: [{ dimension: { name: time }, granularity }] } : {}),
    whole_periods_only: false,
    distinct_dimension_values: true,
  };
}

/**
 * What a measure's lens shows: the measure (the response's last column) in
 * the latest period, or the one overall row, with the measure's format.
 * The value is undefined when there are no rows.
 */
export function latestValue(result: QueryResult): { value: unknown; format?: FieldFormat } {
  const measureKey = result.columns[result.columns.length - 1];
  const timeKey = result.columns.length > 1 ? result.columns[0] : undefined;
  const format = measureKey === undefined ? undefined : result.attributes.measures[measureKey]?.format;
  const formatted = format ? { format } : {};
  if (measureKey === undefined || result.data.length === 0) return { value: undefined, ...formatted };
  // Time values come back as ISO 8601 text (see normaliseTimeValue), which sorts as time does.
  const timeOf = (row: Record<string, unknown> | undefined): string => {
    const value = timeKey === undefined ? undefined : row?.[timeKey];
    return typeof value === 'string' ? value : '';
  };
  let latest = result.data[0];
  for (const row of result.data) if (timeOf(row) > timeOf(latest)) latest = row;
  return { value: latest?.[measureKey], ...formatted };
}

/**
 * The query or stage, or the model, stage or saved measure, under `offset`:
 * the innermost of them, so the cursor in a stage's filter runs that stage.
 */
export function runTargetAt(state: FileState, offset: number): RunTarget {
  const path = state.parsed.sources.innermostAt(offset)?.path ?? [];
  if (state.classified.kind === 'query') {
    const [first] = path;
    const isStage = state.parsed.queryIsList && typeof first === 'number';
    return isStage ? { kind: 'query', stage: first } : { kind: 'query' };
  }
  const [section, index] = path;
  if (section === 'measures' && typeof index === 'number') {
    const measure = state.parsed.model?.measures[index]?.name;
    if (measure) return { kind: 'measure', measure };
  }
  if (section === 'source_queries' && typeof index === 'number') return { kind: 'preview', stage: index };
  return { kind: 'preview' };
}

/** A model file of a storage root, as the index holds it, refused while it has errors. */
function soundModelFile(index: WorkspaceIndex, file: string): { state: FileState; model: ModelDef } {
  const state = index.get(file);
  const model = state?.classified.kind === 'model' ? state.parsed.model : undefined;
  if (!state || !model?.name) {
    throw new SlayerError(ErrorCode.InvalidInput, `${file} is not a model file of a storage root.`);
  }
  const error = firstError(state);
  if (error) throw new SlayerError(ErrorCode.InvalidInput, `The model file has errors; fix them first (${error}).`);
  return { state, model };
}

function firstError(state: FileState): string | undefined {
  return state.parsed.parseProblems.find((problem) => problem.severity === 'error')?.message;
}

/** Runs (or, dry, plans) `stages` as the request says, timed for the results view. */
async function runTimed(
  stages: readonly QueryDef[],
  host: EngineHost,
  request: RunQueryRequest,
  preferDataSource?: string,
): Promise<QueryResult> {
  const started = performance.now();
  const response = await executeQuery(stages, host, {
    dryRun: request.dryRun,
    maxRows: request.maxRows,
    signal: request.signal,
    ...(preferDataSource ? { preferDataSource } : {}),
  });
  return resultOf(response, started);
}

/**
 * A query list with `stage` as its root: the chosen stage goes last, after
 * the named stages it reads (transitively). Stages that read it are left
 * out: SLayer forbids referencing the root.
 */
function stageAsRoot(stages: readonly QueryDef[], stage: number | undefined): QueryDef[] {
  if (stage === undefined) return [...stages];
  const chosen = stageAt(stages, stage);
  const byName = new Map(stages.filter((other) => other.name).map((other) => [other.name ?? '', other] as const));
  const needed = new Set<QueryDef>();
  const visit = (from: QueryDef): void => {
    for (const name of referencedNames(from)) {
      const prerequisite = byName.get(name);
      if (!prerequisite || prerequisite === chosen || needed.has(prerequisite)) continue;
      needed.add(prerequisite);
      visit(prerequisite);
    }
  };
  visit(chosen);
  return [...stages.filter((other) => needed.has(other)), chosen];
}

/** A model's source_queries up to `stage`: stored stages only read earlier ones. */
function stagesUpTo(stages: readonly QueryDef[], stage: number | undefined): QueryDef[] {
  if (stage === undefined) return [...stages];
  stageAt(stages, stage);
  return stages.slice(0, stage + 1);
}

function stageAt(stages: readonly QueryDef[], stage: number): QueryDef {
  const chosen = stages[stage];
  if (!chosen) {
    throw new SlayerError(ErrorCode.InvalidInput, `There is no stage ${stage}; the list has ${stages.length}.`);
  }
  return chosen;
}

function previewQuery(model: ModelDef): QueryDef {
  return {
    version: 3,
    source_model: { kind: 'name', name: model.name },
    dimensions: model.columns.filter((column) => !column.hidden).map((column) => ({ name: column.name })),
    whole_periods_only: false,
    distinct_dimension_values: true,
  };
}

function resultOf(response: SlayerResponse, started: number): QueryResult {
  return {
    columns: response.columns,
    data: response.data,
    row_count: response.row_count,
    sql: response.sql,
    truncated: response.truncated ?? false,
    millis: Math.round(performance.now() - started),
    attributes: response.attributes,
    data_source: response.data_source ?? '',
    column_roles: response.column_roles ?? {},
  };
}
