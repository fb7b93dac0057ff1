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
  /** Rows a run keeps at most (the results view pages, sorts and exports them); the view says when more existed. */
  previewMaxRows: number;
  /** Refresh engine-managed cache fields (query-backed `columns`, column samples) in model files. */
  writeBack: boolean;
  /** `slayer.format.enable`: answer formatting requests (format-on-save) for SLayer files. */
  format: { enable: boolean };
  /**
   * `slayer.hover.timeLimitMs`: how long a hover waits for live data before it shows what it has without;
   * `slayer.hover.cacheTtlSeconds`: how long a server database's live values are reused before a background refresh.
   */
  hover: { timeLimitMs: number; cacheTtlSeconds: number };
  /** `slayer.query.timeLimitSeconds`: a run (Run query) past this is stopped in the database; 0 means no limit. */
  query: { timeLimitSeconds: number };
  /** `slayer.measureLens.granularity`: the period a saved measure's ▶ Run lens groups by (its model's default time dimension). */
  measureLens: { granularity: MeasureLensGranularity };
}

export const MEASURE_LENS_GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type MeasureLensGranularity = (typeof MEASURE_LENS_GRANULARITIES)[number];

export const SETTINGS_SECTION = 'slayer';

export const DEFAULT_SETTINGS: SlayerSettings = {
  storageRoots: [],
  warnOnUnknownFields: true,
  exclude: ['**/node_modules/**', '**/.git/**', '**/target/**', '**/dbt_packages/**', '**/.venv/**'],
  previewMaxRows: 10_000,
  writeBack: true,
  format: { enable: true },
  hover: { timeLimitMs: 1500, cacheTtlSeconds: 300 },
  query: { timeLimitSeconds: 300 },
  measureLens: { granularity: 'month' },
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
    format: { enable: booleanAt(source['format'], 'enable') ?? DEFAULT_SETTINGS.format.enable },
    hover: {
      timeLimitMs: positiveInteger(valueAt(source['hover'], 'timeLimitMs')) ?? DEFAULT_SETTINGS.hover.timeLimitMs,
      cacheTtlSeconds:
        positiveInteger(valueAt(source['hover'], 'cacheTtlSeconds')) ?? DEFAULT_SETTINGS.hover.cacheTtlSeconds,
    },
    query: {
      timeLimitSeconds:
        nonNegativeInteger(valueAt(source['query'], 'timeLimitSeconds')) ?? DEFAULT_SETTINGS.query.timeLimitSeconds,
    },
    measureLens: {
      granularity:
        oneOf(valueAt(source['measureLens'], 'granularity'), MEASURE_LENS_GRANULARITIES) ??
        DEFAULT_SETTINGS.measureLens.granularity,
    },
  };
}

/** A value inside a nested section (`slayer.format.enable` arrives as `{format: {enable}}`). */
function valueAt(section: unknown, key: string): unknown {
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>)[key] : undefined;
}

function booleanAt(section: unknown, key: string): boolean | undefined {
  const value = valueAt(section, key);
  return typeof value === 'boolean' ? value : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string');
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value);
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
