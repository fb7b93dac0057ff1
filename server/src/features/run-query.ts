import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import type { QueryResult } from '../../../shared/src/protocol';
import { executeQuery, type EngineHost } from '../engine/query/execute';
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
  return {
    columns: response.columns,
    data: response.data,
    row_count: response.row_count,
    sql: response.sql,
    truncated: response.truncated ?? false,
    millis: Math.round(performance.now() - started),
  };
}
