import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import type { QueryResult } from '../../../shared/src/protocol';
import { executeQuery, modelStages, type EngineHost } from '../engine/query/execute';
import type { SlayerResponse } from '../engine/query/response';
import type { ModelDef, QueryDef } from '../engine/schema/types';
import type { WorkspaceIndex } from '../workspace/index';

export interface RunQueryRequest {
  file: string;
  dryRun: boolean;
  maxRows: number;
  signal: AbortSignal;
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
  const started = performance.now();
  const state = index.get(request.file);
  if (!state || state.classified.kind !== 'query') {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `${request.file} is not a query file (*.query.yaml) of a storage root.`,
    );
  }
  const errors = state.parsed.parseProblems.filter((problem) => problem.severity === 'error');
  const stages = state.parsed.queries ?? [];
  if (errors.length > 0 || stages.length === 0) {
    const first = errors[0]?.message ?? 'no query found';
    throw new SlayerError(ErrorCode.InvalidInput, `The query file has errors; fix them first (${first}).`);
  }
  const root = state.root ?? '';
  const response = await executeQuery(stages, engineFor(root), {
    dryRun: request.dryRun,
    maxRows: request.maxRows,
    signal: request.signal,
  });
  return resultOf(response, started);
}

/**
 * A model file's first rows, as the index holds it: a query-backed model's
 * result; a table model's distinct rows over its visible columns (SLayer
 * queries group, so rows repeated in the table show once).
 */
export async function previewModelFile(
  index: WorkspaceIndex,
  engineFor: (root: string) => EngineHost,
  request: Omit<RunQueryRequest, 'dryRun'>,
): Promise<QueryResult> {
  const started = performance.now();
  const state = index.get(request.file);
  const model = state?.classified.kind === 'model' ? state.parsed.model : undefined;
  if (!state || !model?.name) {
    throw new SlayerError(ErrorCode.InvalidInput, `${request.file} is not a model file of a storage root.`);
  }
  const error = state.parsed.parseProblems.find((problem) => problem.severity === 'error');
  if (error)
    throw new SlayerError(ErrorCode.InvalidInput, `The model file has errors; fix them first (${error.message}).`);
  const stages = model.source_queries ? modelStages(model) : [previewQuery(model)];
  const response = await executeQuery(stages, engineFor(state.root ?? ''), {
    maxRows: request.maxRows,
    signal: request.signal,
    ...(model.data_source ? { preferDataSource: model.data_source } : {}),
  });
  return resultOf(response, started);
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
