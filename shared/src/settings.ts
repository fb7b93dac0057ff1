/**
 * The extension's settings, declared once. `package.json` contributes the same
 * keys (a unit test keeps the two in step) and the server reads them through
 * `workspace/configuration` with these defaults.
 */
export interface SlayerSettings {
  /** Extra storage roots (folders holding `models/`), relative to the workspace or absolute. */
  storageRoots: string[];
  /** Report fields SLayer does not know as warnings (true) or stay quiet (false). */
  warnOnUnknownFields: boolean;
  /** Folders skipped while discovering storage roots. */
  exclude: string[];
  /** Rows a query preview fetches at most; the results view says when more existed. */
  previewMaxRows: number;
  /** Refresh engine-managed cache fields (query-backed `columns`, column samples) in model files. */
  writeBack: boolean;
}

export const SETTINGS_SECTION = 'slayer';

export const DEFAULT_SETTINGS: SlayerSettings = {
  storageRoots: [],
  warnOnUnknownFields: true,
  exclude: ['**/node_modules/**', '**/.git/**', '**/target/**', '**/dbt_packages/**', '**/.venv/**'],
  previewMaxRows: 500,
  writeBack: true,
};

/** Accepts whatever the client sent and keeps only well-typed values. */
export function normalizeSettings(raw: unknown): SlayerSettings {
  const source = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    storageRoots: stringArray(source['storageRoots']) ?? DEFAULT_SETTINGS.storageRoots,
    warnOnUnknownFields:
      typeof source['warnOnUnknownFields'] === 'boolean'
        ? source['warnOnUnknownFields']
        : DEFAULT_SETTINGS.warnOnUnknownFields,
    exclude: stringArray(source['exclude']) ?? DEFAULT_SETTINGS.exclude,
    previewMaxRows: positiveInteger(source['previewMaxRows']) ?? DEFAULT_SETTINGS.previewMaxRows,
    writeBack: typeof source['writeBack'] === 'boolean' ? source['writeBack'] : DEFAULT_SETTINGS.writeBack,
  };
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string');
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
