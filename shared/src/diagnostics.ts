/**
 * Diagnostic codes, declared once. Each names one rule; the code travels with
 * the LSP diagnostic and the CLI's JSON output, so quick fixes and scripts can
 * key on it.
 */
export const DiagnosticCode = {
  YamlSyntax: 'yaml-syntax',
  DuplicateKey: 'duplicate-key',
  MultipleDocuments: 'multiple-documents',
  AliasLimit: 'alias-limit',
  FileTooLarge: 'file-too-large',
  WrongType: 'wrong-type',
  MissingField: 'missing-field',
  /** A datasource this engine can reach only with a credential it does not have (SLayer may still connect). */
  MissingCredential: 'missing-credential',
  UnknownField: 'unknown-field',
  /** A known field that the datasource's engine does not apply (SLayer's does not either). */
  IgnoredField: 'ignored-field',
  InvalidName: 'invalid-name',
  InvalidValue: 'invalid-value',
  SourceExclusive: 'source-exclusive',
  LegacyType: 'legacy-type',
  AggregationNotAllowed: 'aggregation-not-allowed',
  UnknownAggregation: 'unknown-aggregation',
  MissingAggregationParam: 'missing-aggregation-param',
  MeasureCycle: 'measure-cycle',
  ReservedName: 'reserved-name',
  DuplicateName: 'duplicate-name',
  NameClash: 'name-clash',
  CustomAggregationFormula: 'custom-aggregation-formula',
  UnknownReference: 'unknown-reference',
  UnknownModel: 'unknown-model',
  UnknownDataSource: 'unknown-data-source',
  QueryVariablesNotQueryBacked: 'query-variables-not-query-backed',
  EngineManagedField: 'engine-managed-field',
  FormulaSyntax: 'formula-syntax',
  /** `/` of two integers on an engine that truncates it (3 / 4 is 0), where others give a fraction. */
  IntegerDivision: 'integer-division',
  SqlModeFilter: 'sql-mode-filter',
  FileLocation: 'file-location',
  SchemaVersion: 'schema-version',
  StageRules: 'stage-rules',
  AmbiguousModel: 'ambiguous-model',
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

export type Severity = 'error' | 'warning' | 'info';
