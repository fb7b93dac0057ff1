/**
 * Every custom LSP message, declared once and typed. The client and the tests
 * send these through `sendRequest(Requests.x, params)`; the server registers
 * handlers through the same table, so a renamed method breaks the build, not
 * the user.
 */

/** One storage root the server indexed. */
export interface StorageRootInfo {
  /** Absolute path of the folder holding `models/`. */
  path: string;
  models: number;
  datasources: number;
  queries: number;
}

export interface FileCheckSummary {
  files: number;
  errors: number;
  warnings: number;
}

/** Runs the query (or the last stage of the query list) in a `*.query.yaml`, as the editor holds it. */
export interface RunQueryParams {
  uri: string;
  /** Plan only: the result carries the SQL and no rows. */
  dryRun?: boolean;
  /** In a query list, run this stage (0-based) as the root, with its named siblings; default: the list's root. */
  stage?: number;
  /**
   * Return only the first `pageSize` rows, and keep all of them (up to
   * slayer.previewMaxRows) on the server under `result_id` for fetchPage and
   * exportResult. Without it, `data` holds every row.
   */
  pageSize?: number;
}

export interface PreviewModelParams {
  uri: string;
  /** A query-backed model's stage (0-based) to run instead of the whole model: the stages up to it. */
  stage?: number;
  dryRun?: boolean;
  /** As RunQueryParams.pageSize. */
  pageSize?: number;
}

/** SLayer's number format of a field (`format:` on a measure or column). */
export interface FieldFormat {
  type: 'percent' | 'currency' | 'integer' | 'float';
  precision?: number;
  symbol?: string;
}

/** SLayer's response `attributes`: labels and number formats by result key. */
export interface ResultAttributes {
  dimensions: Record<string, { label?: string; format?: FieldFormat }>;
  measures: Record<string, { label?: string; format?: FieldFormat }>;
}

/** SLayer's response shape (`model.column` keys), plus whether the preview cap cut rows. */
export interface QueryResult {
  columns: string[];
  data: Record<string, unknown>[];
  row_count: number;
  sql: string;
  truncated: boolean;
  /** Milliseconds from request to rows, for the results view. */
  millis: number;
  attributes: ResultAttributes;
  /** The datasource the query ran on (or, dry, would run on). */
  data_source: string;
  /** With `pageSize`: the server keeps the rows under this id; `data` is the first page of `row_count`. */
  result_id?: string;
  /** What each column is: a plain dimension, a time dimension or a measure (the results view charts by it). */
  column_roles: Record<string, ColumnRole>;
}

export type ColumnRole = 'dimension' | 'time' | 'measure';

/** One column of a kept result's sort order. */
export interface SortKey {
  column: string;
  direction: 'asc' | 'desc';
}

/** Rows `offset`… of a kept result (see RunQueryParams.pageSize), in `sort` order (NULLs last). */
export interface FetchPageParams {
  resultId: string;
  offset: number;
  limit: number;
  sort?: SortKey[];
}

export interface FetchPageResult {
  rows: Record<string, unknown>[];
  offset: number;
  row_count: number;
}

/**
 * Every row of a kept result, in `sort` order, as the file a user saves:
 * CSV exactly as `slayer-ls query --format csv` writes it, JSON as `--format json`.
 */
export interface ExportResultParams {
  resultId: string;
  format: 'csv' | 'json';
  sort?: SortKey[];
}

export interface ExportResultResult {
  text: string;
  row_count: number;
}

/**
 * Runs a model's saved measure by the model's default time dimension (or
 * overall when it has none); the measure's code lens then shows the last value.
 */
export interface RunMeasureParams {
  uri: string;
  measure: string;
  pageSize?: number;
}

/** Where the cursor is in a query or model file (the editor's unsaved text). */
export interface RunTargetAtParams {
  uri: string;
  position: { line: number; character: number };
}

/**
 * What Ctrl/Cmd+Enter runs there: the query (or the stage of a query list),
 * the model's preview (or a stage of its source_queries), or a saved measure.
 */
export type RunTarget =
  { kind: 'query'; stage?: number } | { kind: 'preview'; stage?: number } | { kind: 'measure'; measure: string };

/** Profiles the model defined in `uri` (or `model` of the same storage root): row count and column samples. */
export interface InspectParams {
  uri: string;
  model?: string;
}

export interface InspectedColumn {
  name: string;
  type: string;
  primary_key: boolean;
  label?: string;
  sampled: string | null;
  sampled_values: string[] | null;
  distinct_count: number | null;
}

export interface InspectResult {
  model_name: string;
  data_source: string;
  source_type: 'table' | 'sql' | 'query';
  row_count: number;
  columns: InspectedColumn[];
}

/** Saves the query in `uri` as a new query-backed model `name` in the same storage root, its cache warmed. */
export interface SaveQueryAsModelParams {
  uri: string;
  name: string;
}

export interface SaveQueryAsModelResult {
  /** Absolute path of the new model file. */
  file: string;
}

export interface RequestMap {
  'slayer/listStorageRoots': { params: Record<string, never>; result: StorageRootInfo[] };
  'slayer/checkSummary': { params: Record<string, never>; result: FileCheckSummary };
  'slayer/runQuery': { params: RunQueryParams; result: QueryResult };
  'slayer/inspect': { params: InspectParams; result: InspectResult };
  'slayer/saveQueryAsModel': { params: SaveQueryAsModelParams; result: SaveQueryAsModelResult };
  /** A model file's first rows: a table model's distinct rows over its columns, a query-backed model's result. */
  'slayer/previewModel': { params: PreviewModelParams; result: QueryResult };
  'slayer/fetchPage': { params: FetchPageParams; result: FetchPageResult };
  'slayer/exportResult': { params: ExportResultParams; result: ExportResultResult };
  'slayer/runMeasure': { params: RunMeasureParams; result: QueryResult };
  'slayer/runTargetAt': { params: RunTargetAtParams; result: RunTarget };
}

export interface NotificationMap {
  /** Sent after each full or incremental re-index, so a status item can show it. */
  'slayer/indexed': { roots: number; files: number; errors: number; warnings: number; millis: number };
  /**
   * Client to server: VS Code's workspace trust changed (it is granted without
   * a reload). The value at start travels as `initializationOptions.workspaceTrusted`;
   * a client that says nothing (any editor but VS Code) is trusted.
   */
  'slayer/workspaceTrust': { trusted: boolean };
  /** Client to server: the results view no longer shows this kept result; its rows can go. */
  'slayer/releaseResult': { resultId: string };
}

export type RequestMethod = keyof RequestMap;
export type NotificationMethod = keyof NotificationMap;
export type RequestParams<M extends RequestMethod> = RequestMap[M]['params'];
export type RequestResult<M extends RequestMethod> = RequestMap[M]['result'];

export const Requests = {
  listStorageRoots: 'slayer/listStorageRoots',
  checkSummary: 'slayer/checkSummary',
  runQuery: 'slayer/runQuery',
  inspect: 'slayer/inspect',
  saveQueryAsModel: 'slayer/saveQueryAsModel',
  previewModel: 'slayer/previewModel',
  fetchPage: 'slayer/fetchPage',
  exportResult: 'slayer/exportResult',
  runMeasure: 'slayer/runMeasure',
  runTargetAt: 'slayer/runTargetAt',
} as const satisfies Record<string, RequestMethod>;

export const Notifications = {
  indexed: 'slayer/indexed',
  workspaceTrust: 'slayer/workspaceTrust',
  releaseResult: 'slayer/releaseResult',
} as const satisfies Record<string, NotificationMethod>;

/** The key of `initializationOptions` that carries VS Code's workspace trust at start. */
export const TRUST_OPTION = 'workspaceTrusted';

/** The language id of SLayer model, datasource and query files. */
export const LANGUAGE_ID = 'slayer-yaml';

/** Anything that can send a JSON-RPC request: the extension's LanguageClient, a test's MessageConnection. */
export interface RequestSender {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
}

/** The one typed way to send a custom request; the result type follows from the method. */
export function sendTypedRequest<M extends RequestMethod>(
  sender: RequestSender,
  method: M,
  params: RequestParams<M>,
): Promise<RequestResult<M>> {
  return sender.sendRequest<RequestResult<M>>(method, params);
}
