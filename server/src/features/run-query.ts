import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import type { QueryResult } from '../../../shared/src/protocol';
import { executeQuery, modelStages, type EngineHost } from '../engine/query/execute';
import type { SlayerResponse } from '../engine/query/response';
import type { ModelDef, QueryDef } from '../engine/schema/types';
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
  const state = index.get(request.file);
  const model = state?.classified.kind === 'model' ? state.parsed.model : undefined;
  if (!state || !model?.name) {
    throw new SlayerError(ErrorCode.InvalidInput, `${request.file} is not a model file of a storage root.`);
  }
  const error = firstError(state);
  if (error) throw new SlayerError(ErrorCode.InvalidInput, `The model file has errors; fix them first (${error}).`);
  const stages = model.source_queries ? stagesUpTo(modelStages(model), request.stage) : [previewQuery(model)];
  return runTimed(stages, engineFor(state.root ?? ''), request, model.data_source || undefined);
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
 * A query list with `stage` as its root: the list's root is its last stage,
 * and every other stage must be named, so the chosen stage goes last and the
 * unnamed root (which no stage can reference) is left out.
 */
function stageAsRoot(stages: readonly QueryDef[], stage: number | undefined): QueryDef[] {
  if (stage === undefined) return [...stages];
  const chosen = stageAt(stages, stage);
  return [...stages.filter((other) => other !== chosen && other.name), chosen];
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
  };
}
