/**
 * The databases that bucket time with DATE_TRUNC('unit', ts) and shift it with
 * INTERVAL arithmetic: DuckDB and Postgres (run here), and Redshift,
 * Snowflake, Trino and Databricks (proven by their SQL, see
 * test/unit/dialect-corpus.test.ts). What differs between them is in the
 * TruncatingEngine each one fills in; the shape of the SQL is shared.
 */
import {
  call,
  castFor,
  castInto,
  doubleQuote,
  lacking,
  limitThenOffset,
  nullSkippingForm,
  nullSkippingConcat,
  nullsLast,
  pairedStatistic,
  standardAverage,
  COMMON_HOOKS,
  spelledCall,
  standardString,
  unitShifts,
  unsupportedFunction,
  type DialectName,
  type IntervalUnit,
  type SqlDialect,
} from './dialect-kit';

interface TruncatingEngine {
  name: DialectName;
  /** How errors name the database. */
  engine: string;
  quoteIdentifier: (name: string) => string;
  casts: SqlDialect['castToDeclared'];
  /** One interval of `amount` (never negative) units, in this database's literal form. */
  interval: (amount: number, unit: IntervalUnit) => string;
  median?: (value: string) => string;
  percentile?: (value: string, p: string) => string;
  /** Why median and percentile are refused, when they are. */
  noPercentiles?: string;
  covariance: SqlDialect['covariance'];
  countDistinctApprox: (value: string) => string;
  average?: (value: string) => string;
  /** This database's spelling of an allowlisted function, or undefined for the common one. */
  scalar: (name: string, args: string[]) => string | undefined;
  limitAndOffset: SqlDialect['limitAndOffset'];
}

/** `'3 day'` in the string: Postgres, DuckDB, Redshift and Snowflake read it so. */
const unitInString = (amount: number, unit: IntervalUnit): string => `INTERVAL '${amount} ${unit}'`;
/** The standard's `'3' DAY`: Trino and Databricks. */
const unitAfterString = (amount: number, unit: IntervalUnit): string => `INTERVAL '${amount}' ${unit.toUpperCase()}`;

const orderedSetPercentile = (value: string, p: string): string =>
  `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${value})`;

function truncatingDialect(engine: TruncatingEngine): SqlDialect {
  const timestamp = (expr: string): string => `CAST(${expr} AS TIMESTAMP)`;
  const shift = (expr: string, amount: number, unit: IntervalUnit): string =>
    `(${timestamp(expr)} ${amount < 0 ? '-' : '+'} ${engine.interval(Math.abs(amount), unit)})`;
  const refused = (feature: string): Error => lacking(engine.engine, feature, engine.noPercentiles);
  return {
    ...COMMON_HOOKS,
    name: engine.name,
    quoteIdentifier: engine.quoteIdentifier,
    average: engine.average ?? standardAverage,
    castToDeclared: engine.casts,
    stringLiteral: standardString,
    orderTerm: nullsLast,
    limitAndOffset: engine.limitAndOffset,
    dateTrunc(expr, granularity) {
      if (granularity === 'week_sunday') {
        // The Monday week of the next day, moved back a day, starts on the Sunday.
        const monday = `DATE_TRUNC('week', ${shift(expr, 1, 'day')})`;
        return `(${monday} - ${engine.interval(1, 'day')})`;
      }
      return `DATE_TRUNC('${granularity}', ${timestamp(expr)})`;
    },
    ...unitShifts(shift),
    timeLiteral: (text) => timestamp(standardString(text)),
    median(value) {
      if (!engine.median) throw refused('median');
      return engine.median(value);
    },
    percentile(value, p) {
      if (!engine.percentile) throw refused('percentile');
      return engine.percentile(value, p);
    },
    statistic: (stat, value) => call(stat, [value]),
    covariance: engine.covariance,
    countDistinctApprox: engine.countDistinctApprox,
    scalarCall: (name, args) => spelledCall(engine.name, name, args, engine.scalar),
  };
}

const nativeCovariance: SqlDialect['covariance'] = (stat, value, other) => call(stat, [value, other]);

function backtick(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export const duckdbDialect = truncatingDialect({
  name: 'duckdb',
  engine: 'DuckDB',
  quoteIdentifier: doubleQuote,
  casts: castFor('duckdb'),
  interval: unitInString,
  median: (value) => `MEDIAN(${value})`,
  percentile: (value, p) => `QUANTILE_CONT(${value}, ${p})`,
  covariance: nativeCovariance,
  countDistinctApprox: (value) => `APPROX_COUNT_DISTINCT(${value})`,
  scalar(name, args) {
    if (name === 'log2' || name === 'instr') return call(name, args);
    return undefined;
  },
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset),
});

export const postgresDialect = truncatingDialect({
  name: 'postgres',
  engine: 'Postgres',
  quoteIdentifier: doubleQuote,
  casts: castFor('postgres'),
  interval: unitInString,
  median: (value) => orderedSetPercentile(value, '0.5'),
  percentile: orderedSetPercentile,
  covariance: nativeCovariance,
  // Postgres has no approximate distinct count; the exact one is what SLayer falls back to.
  countDistinctApprox: (value) => `COUNT(DISTINCT ${value})`,
  scalar(name, args) {
    if (name === 'log2') return call('log', ['2', ...args]);
    if (name === 'instr') return call('strpos', args);
    // Postgres has no ROUND(double precision, integer); SLayer casts the value to NUMERIC there.
    if (name === 'round' && args.length === 2)
      return call('round', [`CAST(${args[0] ?? 'NULL'} AS NUMERIC)`, args[1] ?? '0']);
    return undefined;
  },
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset),
});

/** Integer sums would divide as integers in the textbook covariance sums. */
const redshiftFloat = (value: string): string => `CAST(${value} AS DOUBLE PRECISION)`;

/**
 * Redshift: Postgres' SQL, less CORR and COVAR_* (computed from sums), with
 * MEDIAN, an approximate distinct count, LOG as the base-10 logarithm, and an
 * AVG that truncates over integers unless given a float.
 */
export const redshiftDialect = truncatingDialect({
  name: 'redshift',
  engine: 'Redshift',
  quoteIdentifier: doubleQuote,
  casts: castInto({
    INT: 'INTEGER',
    DOUBLE: 'DOUBLE PRECISION',
    BOOLEAN: 'BOOLEAN',
    DATE: 'DATE',
    TIMESTAMP: 'TIMESTAMP',
  }),
  interval: unitInString,
  median: (value) => `MEDIAN(${value})`,
  percentile: orderedSetPercentile,
  covariance: (stat, value, other) => pairedStatistic(stat, value, other, { asFloat: redshiftFloat }),
  countDistinctApprox: (value) => `APPROXIMATE COUNT(DISTINCT ${value})`,
  average: (value) => `AVG(${redshiftFloat(value)})`,
  scalar(name, args) {
    const [first = 'NULL', second = 'NULL'] = args;
    switch (name) {
      case 'instr':
        return call('strpos', args);
      case 'log10':
        return call('log', args);
      case 'log2':
        return `(LN(${first}) / LN(2))`;
      case 'log':
        return args.length === 2 ? `(LN(${second}) / LN(${first}))` : call('log', args);
      // Redshift's CONCAT takes two arguments and is NULL when either is.
      case 'concat':
        return `(${args.map((arg) => `COALESCE(CAST(${arg} AS VARCHAR), '')`).join(' || ')})`;
    }
    return undefined;
  },
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset),
});

/**
 * Snowflake stores an unquoted name in upper case. A column written in lower
 * case in the model is the column created without quotes, so it is quoted in
 * upper case (which also keeps a reserved word such as ORDER usable); a name
 * with any upper-case letter is quoted as written, as SLayer does. The names
 * the SQL makes up go the same way, so every reference matches its
 * definition; result keys have a dot and keep their case.
 */
function snowflakeName(name: string): string {
  return doubleQuote(/^[a-z_][a-z0-9_$]*$/.test(name) ? name.toUpperCase() : name);
}

export const snowflakeDialect = truncatingDialect({
  name: 'snowflake',
  engine: 'Snowflake',
  quoteIdentifier: snowflakeName,
  casts: castInto({ INT: 'INT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' }),
  interval: unitInString,
  median: (value) => `MEDIAN(${value})`,
  percentile: orderedSetPercentile,
  covariance: nativeCovariance,
  countDistinctApprox: (value) => `APPROX_COUNT_DISTINCT(${value})`,
  scalar(name, args) {
    const [first = 'NULL', second = 'NULL'] = args;
    switch (name) {
      case 'instr':
        return call('charindex', [second, first]);
      case 'log10':
        return call('log', ['10', first]);
      case 'log':
        return args.length === 2 ? call('log', args) : call('log', ['10', first]);
      case 'log2':
        return call('log', ['2', first]);
    }
    return nullSkippingForm(name, args, 'VARCHAR');
  },
  // Snowflake's "no limit" before an OFFSET is LIMIT NULL.
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset, 'NULL'),
});

/**
 * Trino (and Presto, Athena): the standard's interval literals, OFFSET before
 * LIMIT, and no exact median or percentile (approx_percentile is an
 * approximation, so it is refused rather than used silently).
 */
export const trinoDialect = truncatingDialect({
  name: 'trino',
  engine: 'Trino',
  quoteIdentifier: doubleQuote,
  casts: castInto({ INT: 'INTEGER', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' }),
  interval: unitAfterString,
  noPercentiles: 'Trino has only approx_percentile, an approximation; SLayer Studio does not swap it in silently.',
  covariance: nativeCovariance,
  countDistinctApprox: (value) => `APPROX_DISTINCT(${value})`,
  scalar(name, args) {
    switch (name) {
      case 'instr':
        return call('strpos', args);
      case 'log2':
        return call('log2', args);
      case 'trunc':
        return call('truncate', args);
    }
    return nullSkippingForm(name, args, 'VARCHAR');
  },
  limitAndOffset: (limit, offset) => [
    ...(offset !== undefined ? [`OFFSET ${offset}`] : []),
    ...(limit !== undefined ? [`LIMIT ${limit}`] : []),
  ],
});

/** Databricks and Spark SQL: backticks, the standard's intervals, exact ordered-set percentiles. */
export const databricksDialect = truncatingDialect({
  name: 'databricks',
  engine: 'Databricks',
  quoteIdentifier: backtick,
  casts: castInto({ INT: 'INT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' }),
  interval: unitAfterString,
  median: (value) => orderedSetPercentile(value, '0.5'),
  percentile: orderedSetPercentile,
  covariance: nativeCovariance,
  countDistinctApprox: (value) => `APPROX_COUNT_DISTINCT(${value})`,
  scalar(name, args) {
    switch (name) {
      case 'instr':
      case 'log2':
        return call(name, args);
      // Spark's TRUNC truncates dates only.
      case 'trunc':
        throw unsupportedFunction('databricks', name);
      case 'concat':
        return nullSkippingConcat(args, 'STRING');
    }
    return undefined;
  },
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset),
});
