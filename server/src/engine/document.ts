import { DiagnosticCode } from '../../../shared/src/diagnostics';
import type { ModelCatalog } from './catalog';
import { CheckContext } from './check/context';
import { checkModel } from './check/model-rules';
import { checkQueryFile } from './check/query-rules';
import { DecodeContext, SourceMap } from './schema/decode';
import { decodeDatasource } from './schema/decode-datasource';
import { decodeQuery, decodeQueryFile } from './schema/decode-query';
import { decodeModel } from './schema/decode-model';
import { ProblemSink, type Problem } from './schema/problems';
import type { DatasourceDef, ModelDef, QueryDef } from './schema/types';
import { parseYamlSource } from './schema/yaml-source';
import { isMap } from './schema/yaml-kinds';

export type SlayerFileKind = 'model' | 'datasource' | 'query';

/** One file, decoded: what it declares, where each value sits, and its file-local problems. */
export interface ParsedDocument {
  kind: SlayerFileKind;
  text: string;
  model?: ModelDef;
  datasource?: DatasourceDef;
  queries?: QueryDef[];
  /** A query file holding a list of stages, rather than one query. */
  queryIsList: boolean;
  sources: SourceMap;
  parseProblems: Problem[];
}

export interface ParseOptions {
  warnOnUnknownFields: boolean;
}

/** Where a file sits in its storage root, for the layout rules (file stem = name, folder = data source). */
export interface FileLocation {
  fileStem: string;
  /** `models/<folder>/x.yaml`; undefined for the legacy flat layout. */
  dataSourceFolder?: string;
}

export function parseSlayerDocument(kind: SlayerFileKind, text: string, options: ParseOptions): ParsedDocument {
  const parsed = decodeDocument(kind, text, options);
  parsed.sources.seal();
  return parsed;
}

function decodeDocument(kind: SlayerFileKind, text: string, options: ParseOptions): ParsedDocument {
  const sink = new ProblemSink();
  const sources = new SourceMap();
  const parsed: ParsedDocument = { kind, text, queryIsList: false, sources, parseProblems: sink.problems };
  const yaml = parseYamlSource(text, sink);
  if (!yaml) {
    if (text.trim() === '') reportEmpty(kind, sink);
    return parsed;
  }
  const ctx = new DecodeContext(yaml.doc, text, sink, sources, options.warnOnUnknownFields);
  const root = ctx.resolve(yaml.contents);
  if (!root) {
    sink.error(
      DiagnosticCode.MissingField,
      { start: 0, end: 0 },
      `The file is empty; a ${kind} needs at least a name.`,
    );
    return parsed;
  }
  ctx.record([], root);
  if (kind === 'model') parsed.model = withDefect(decodeModel(root, ctx, [], decodeQuery), sink.problems, text);
  else if (kind === 'datasource') parsed.datasource = decodeDatasource(root, ctx, []);
  else {
    parsed.queryIsList = !isMap(root);
    parsed.queries = decodeQueryFile(root, ctx, []);
  }
  return parsed;
}

function withDefect(model: ModelDef | undefined, problems: readonly Problem[], text: string): ModelDef | undefined {
  const error = problems.find((problem) => problem.severity === 'error');
  if (!model || !error) return model;
  const line = text.slice(0, error.span.start).split('\n').length;
  return { ...model, defect: `${error.message} (line ${line})` };
}

function reportEmpty(kind: SlayerFileKind, sink: ProblemSink): void {
  const needs = kind === 'query' ? 'a source_model' : 'at least a name';
  sink.error(DiagnosticCode.MissingField, { start: 0, end: 0 }, `The file is empty; a ${kind} needs ${needs}.`);
}

/** The cross-file problems of a parsed file; cheap, so it is rerun whenever the workspace changes. */
export function checkSlayerDocument(doc: ParsedDocument, catalog: ModelCatalog, location?: FileLocation): Problem[] {
  const sink = new ProblemSink();
  const ctx = new CheckContext(sink, doc.sources, catalog);
  if (doc.model) {
    checkModel(doc.model, [], ctx);
    if (location) checkModelLocation(doc.model, location, ctx);
  }
  if (doc.datasource && location && doc.datasource.name && doc.datasource.name !== location.fileStem) {
    ctx.warning(
      DiagnosticCode.FileLocation,
      ctx.at(['name']),
      `SLayer finds datasource '${doc.datasource.name}' by file name, but this file is '${location.fileStem}.yaml'. Rename the file or the datasource.`,
    );
  }
  if (doc.queries) checkQueryFile(doc.queries, doc.queryIsList, ctx);
  return sink.problems;
}

function checkModelLocation(model: ModelDef, location: FileLocation, ctx: CheckContext): void {
  if (model.name && model.name !== location.fileStem) {
    ctx.warning(
      DiagnosticCode.FileLocation,
      ctx.at(['name']),
      `SLayer finds model '${model.name}' by file name, but this file is '${location.fileStem}.yaml'. Rename the file or the model.`,
      { wrong: model.name, replacements: [location.fileStem] },
    );
  }
  const folder = location.dataSourceFolder;
  if (folder !== undefined && model.data_source && folder !== model.data_source) {
    ctx.warning(
      DiagnosticCode.FileLocation,
      ctx.at(['data_source']),
      `This file is under models/${folder}/ but its data_source is '${model.data_source}'; SLayer stores it under models/${model.data_source}/.`,
    );
  }
}
