import assert from 'node:assert/strict';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { executeQuery, type EngineHost, type ExecuteOptions } from '../../server/src/engine/query/execute';
import type { SlayerResponse } from '../../server/src/engine/query/response';
import type { QueryDef } from '../../server/src/engine/schema/types';

/** Decodes a query the way the CLI and the editor do: from JSON text through the schema decoder. */
export function decodeQuery(query: unknown): QueryDef[] {
  const parsed = parseSlayerDocument('query', JSON.stringify(query), { warnOnUnknownFields: true });
  const errors = parsed.parseProblems.filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map((p) => p.message),
    [],
    'the test query itself must be valid',
  );
  assert.ok(parsed.queries && parsed.queries.length > 0);
  return parsed.queries;
}

export function runQuery(host: EngineHost, query: unknown, options: ExecuteOptions = {}): Promise<SlayerResponse> {
  return executeQuery(decodeQuery(query), host, options);
}
