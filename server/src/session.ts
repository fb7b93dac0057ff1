import * as path from 'node:path';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type CodeAction,
  type CodeLens,
  type Diagnostic,
  type CompletionList,
  type Hover,
  type Position,
  type TextEdit,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ErrorCode, SlayerError, toSlayerError } from '../../shared/src/errors';
import {
  Notifications,
  Requests,
  type FileCheckSummary,
  type PreviewModelParams,
  type QueryResult,
  type RunTarget,
  type RunTargetAtParams,
  type RunMeasureParams,
  type RunQueryParams,
  type NotificationMap,
  type RequestMap,
  type RequestMethod,
  type StorageRootInfo,
  TRUST_OPTION,
} from '../../shared/src/protocol';
import { DEFAULT_SETTINGS, normalizeSettings, SETTINGS_SECTION, type SlayerSettings } from '../../shared/src/settings';
import { quickFixes, type ColumnSite } from './features/code-actions';
import { takesListDefaults, toCompletionList } from './features/completion';
import { toDiagnostics } from './features/diagnostics';
import { formattingEdits } from './features/formatting';
import { completeAt } from './language/completion';
import { codeLensesFor } from './features/code-lenses';
import { EngineRequests, type RunOptions } from './features/engine-requests';
import { runTargetAt } from './features/run-query';
import { NAVIGATION_CAPABILITIES, registerNavigation } from './features/navigation';
import { toResponseError } from './features/response-error';
import { throttled } from './features/throttled-progress';
import { NameTable } from './engine/names/table';
import { LineIndex } from './engine/schema/source';
import { discoverWorkspace, isExplicitRoot, listRootFiles } from './workspace/discovery';
import { PathMatcher } from './workspace/glob';
import { WorkspaceIndex } from './workspace/index';
import { watchWorkspace, type WorkspaceWatcher } from './workspace/watcher';

/**
 * The LSP side of the server: it turns protocol events into index updates and
 * index results into diagnostics. All state changes run one at a time through
 * `serial`, so a disk event and a keystroke never interleave halfway.
 */
export class SlayerSession {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly index = new WorkspaceIndex({ warnOnUnknownFields: DEFAULT_SETTINGS.warnOnUnknownFields });
  private settings: SlayerSettings = DEFAULT_SETTINGS;
  private folders: string[] = [];
  private watcher: WorkspaceWatcher | undefined;
  private supportsConfiguration = false;
  private supportsProgress = false;
  private supportsCodeLensRefresh = false;
  private completionListDefaults = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly published = new Set<string>();
  private readonly engine: EngineRequests;
  /** Declarations and uses of every name, for definition, references, rename and symbols. */
  private readonly names = new NameTable((root) => this.index.catalogFor(root));
  /** VS Code's workspace trust: in Restricted Mode no database is reached and no file written. */
  private trusted = true;
  /** Open documents' URIs by path: the editor may spell a URI differently from ours. */
  private readonly openUris = new Map<string, string>();
  /** Disk events waiting to be applied as one batch (a `git checkout` changes hundreds of files at once). */
  private readonly pendingDisk = new Set<string>();
  private indexing = false;
  /** The query run in flight for each query file: a new run of the file cancels it. */
  private readonly runs = new Map<string, AbortController>();
  /** Settles once the name table holds every indexed file (definition, references, rename, symbols). */
  private namesReady: Promise<void> = Promise.resolve();
  private diskFlush: NodeJS.Timeout | undefined;
  private diskBatchStarted = 0;

  constructor(private readonly connection: Connection) {
    this.engine = new EngineRequests({
      index: this.index,
      settings: () => this.settings,
      openText: (file) => this.openDocument(file)?.getText(),
      trusted: () => this.trusted,
      usedNameAt: (file, offset) => {
        const occurrence = this.names.at(file, offset);
        return occurrence?.kind === 'reference' ? this.names.resolve(occurrence.reference) : undefined;
      },
      log: (message) => this.connection.console.info(message),
    });
  }

  start(): void {
    this.connection.onInitialize((params) => this.initialize(params));
    this.connection.onInitialized(() => this.serial(() => this.reindex()));
    this.connection.onDidChangeConfiguration(() => this.serial(() => this.reindex()));
    this.connection.onShutdown(async () => {
      this.stopWatching();
      await this.engine.dispose();
    });
    this.documents.onDidOpen((event) => {
      const file = toPath(event.document.uri);
      if (file) this.openUris.set(file, event.document.uri);
    });
    this.documents.onDidChangeContent((event) => {
      const file = toPath(event.document.uri);
      if (file) this.serial(() => this.afterUpdate(this.index.setOverlay(file, event.document.getText())));
    });
    this.documents.onDidSave((event) => {
      const file = toPath(event.document.uri);
      const root = file ? this.index.get(file)?.root : undefined;
      // Deferred cache refreshes run now, from the bytes just saved.
      if (file && root) this.serial(async () => void (await this.engine.refresher.onDidSave(file, root)));
    });
    this.documents.onDidClose((event) => {
      const file = toPath(event.document.uri);
      if (file) this.openUris.delete(file);
      if (file) this.serial(() => this.afterUpdate(this.index.clearOverlay(file)));
    });
    this.connection.onNotification(Notifications.workspaceTrust, (params: NotificationMap['slayer/workspaceTrust']) => {
      this.trusted = params.trusted;
      this.connection.console.info(`Workspace trust: ${params.trusted ? 'trusted' : 'Restricted Mode'}.`);
    });
    this.handle(Requests.listStorageRoots, () => this.storageRootInfo());
    this.handle(Requests.checkSummary, () => this.summary());
    // Not through `serial`: a long query must not hold up diagnostics, and it only reads the index.
    this.handle(Requests.runQuery, (params, token) => this.runQuery(params, token));
    this.handle(Requests.previewModel, (params, token) => this.previewModel(params, token));
    this.handle(Requests.runMeasure, (params, token) => this.runMeasure(params, token));
    this.handle(Requests.runTargetAt, (params) => this.runTargetAt(params));
    this.handle(Requests.fetchPage, (params) => ({
      rows: this.engine.results.page(params.resultId, params.offset, params.limit, params.sort),
      offset: params.offset,
      row_count: this.engine.results.rowCount(params.resultId),
    }));
    this.handle(Requests.exportResult, (params) =>
      this.engine.results.export(params.resultId, params.format, params.sort),
    );
    this.connection.onNotification(Notifications.releaseResult, (params: NotificationMap['slayer/releaseResult']) =>
      this.engine.results.release(params.resultId),
    );
    this.handle(Requests.inspect, (params) => this.engine.inspect(this.fileOf(params.uri), params.model));
    this.handle(Requests.saveQueryAsModel, (params) =>
      this.engine.saveQueryAsModel(this.fileOf(params.uri), params.name),
    );
    this.connection.onHover((params) => this.hover(params.textDocument.uri, params.position));
    this.connection.onCodeLens((params) => this.codeLenses(params.textDocument.uri));
    this.connection.onDocumentFormatting((params) => this.formatting(params.textDocument.uri));
    // Range formatting formats the whole document; features/formatting.ts says why.
    this.connection.onDocumentRangeFormatting((params) => this.formatting(params.textDocument.uri));
    this.connection.onCompletion((params) => this.completion(params.textDocument.uri, params.position));
    this.connection.onCodeAction((params) => this.codeActions(params.textDocument.uri, params.context.diagnostics));
    registerNavigation(this.connection, {
      names: this.names,
      fileOf: toPath,
      uriOf: (file) => this.uriFor(file),
      versionOf: (file) => this.openDocument(file)?.version ?? null,
      // While the workspace indexes, navigation answers from what is loaded rather than wait for all of it.
      settled: () => (this.indexing ? Promise.resolve() : this.queue.then(() => this.namesReady)),
      log: (message) => this.connection.console.info(message),
    });
    this.documents.listen(this.connection);
    this.connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.supportsConfiguration = Boolean(params.capabilities.workspace?.configuration);
    this.supportsProgress = Boolean(params.capabilities.window?.workDoneProgress);
    this.supportsCodeLensRefresh = Boolean(params.capabilities.workspace?.codeLens?.refreshSupport);
    this.completionListDefaults = takesListDefaults(params.capabilities);
    this.settings = normalizeSettings(params.initializationOptions);
    this.trusted = trustAtStart(params.initializationOptions);
    this.folders = workspaceFolders(params);
    return {
      capabilities: {
        // didSave is what releases a refresh deferred under unsaved edits.
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        ...NAVIGATION_CAPABILITIES,
        completionProvider: { triggerCharacters: [':', '.', '{'] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: 'slayer-ls', version: '0.1.0' },
    };
  }

  /** Typed registration: the method's params and result come from the shared request map. */
  private handle<M extends RequestMethod>(
    method: M,
    handler: (
      params: RequestMap[M]['params'],
      token: CancellationToken,
    ) => Promise<RequestMap[M]['result']> | RequestMap[M]['result'],
  ): void {
    this.connection.onRequest(method, async (params: RequestMap[M]['params'], token: CancellationToken) => {
      try {
        return await handler(params, token);
      } catch (error) {
        const response = toResponseError(error);
        this.connection.console.error(`${method} failed: ${response.message}`);
        throw response;
      }
    });
  }

  /** Runs a query file; see `cancellableRun`. */
  private runQuery(params: RunQueryParams, token: CancellationToken): Promise<QueryResult> {
    return this.runFile(params, token, (file, options) => this.engine.runQuery(file, options));
  }

  private previewModel(params: PreviewModelParams, token: CancellationToken): Promise<QueryResult> {
    return this.runFile(params, token, (file, options) => this.engine.previewModel(file, options));
  }

  /** A query file's or a model's run (or, dry, its SQL), cancellable; only real runs are time-limited. */
  private runFile(
    params: RunQueryParams | PreviewModelParams,
    token: CancellationToken,
    run: (file: string, options: RunOptions) => Promise<QueryResult>,
  ): Promise<QueryResult> {
    const file = this.fileOf(params.uri);
    const dryRun = params.dryRun ?? false;
    const options = { dryRun, stage: params.stage, pageSize: params.pageSize };
    return this.cancellableRun(file, token, !dryRun, (signal) => run(file, { ...options, signal }));
  }

  /** Runs a saved measure; its lens then shows the value, so the client is asked to fetch lenses again. */
  private async runMeasure(params: RunMeasureParams, token: CancellationToken): Promise<QueryResult> {
    const file = this.fileOf(params.uri);
    const result = await this.cancellableRun(file, token, true, (signal) =>
      this.engine.runMeasure(file, params.measure, { dryRun: false, signal, pageSize: params.pageSize }),
    );
    if (this.supportsCodeLensRefresh) void this.connection.sendRequest(CodeLensRefreshRequest.type);
    return result;
  }

  /** Ctrl/Cmd+Enter: what runs at the cursor (see runTargetAt); the client then runs it as its lens would. */
  private runTargetAt(params: RunTargetAtParams): RunTarget {
    const file = this.fileOf(params.uri);
    const state = this.index.get(file);
    if (!state || (state.classified.kind !== 'query' && state.classified.kind !== 'model')) {
      throw new SlayerError(ErrorCode.InvalidInput, 'Put the cursor in a query file or a model file to run it.');
    }
    return runTargetAt(state, new LineIndex(state.parsed.text).offsetAt(params.position));
  }

  /**
   * A run for `file` (a query, a model's preview). A second run for the same
   * file cancels the first (its query is stopped in the database); a run past
   * slayer.query.timeLimitSeconds is stopped the same way and fails with TimedOut.
   */
  private async cancellableRun(
    file: string,
    token: CancellationToken,
    timeLimited: boolean,
    work: (signal: AbortSignal) => Promise<QueryResult>,
  ): Promise<QueryResult> {
    const controller = new AbortController();
    this.runs.get(file)?.abort();
    this.runs.set(file, controller);
    const subscription = token.onCancellationRequested(() => controller.abort());
    const limit = this.settings.query.timeLimitSeconds;
    let timedOut = false;
    const timer =
      limit > 0 && timeLimited
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, limit * 1000)
        : undefined;
    try {
      return await work(controller.signal);
    } catch (error) {
      if (!timedOut) throw error;
      throw new SlayerError(
        ErrorCode.TimedOut,
        `The query ran longer than slayer.query.timeLimitSeconds (${limit} s) and was stopped in the database.`,
      );
    } finally {
      clearTimeout(timer);
      subscription.dispose();
      if (this.runs.get(file) === controller) this.runs.delete(file);
    }
  }

  private fileOf(uri: string): string {
    const file = toPath(uri);
    if (!file) throw new SlayerError(ErrorCode.InvalidInput, `Only files on disk are supported, not ${uri}.`);
    return file;
  }

  /** Hover failures (a database that is down) are logged, never shown as an error popup. */
  private async hover(uri: string, position: Position): Promise<Hover | null> {
    const file = toPath(uri);
    const state = file ? this.index.get(file) : undefined;
    if (!file || !state) return null;
    // A name used here hovers as its declaration: after start-up that needs the whole name table.
    if (!this.indexing) await this.namesReady;
    try {
      return await this.engine.hover(file, new LineIndex(state.parsed.text).offsetAt(position));
    } catch (error) {
      this.connection.console.warn(`Hover on ${file}: ${toSlayerError(error).message}`);
      return null;
    }
  }

  /**
   * Completion reads the editor's current text (the index may not have caught
   * up with the last keystroke) and the index's names: no disk, no database.
   */
  private completion(uri: string, position: Position): CompletionList {
    const file = toPath(uri);
    const state = file ? this.index.get(file) : undefined;
    const text = this.documents.get(uri)?.getText() ?? state?.parsed.text;
    if (!file || !state || text === undefined) return { isIncomplete: false, items: [] };
    const answer = completeAt({
      kind: state.classified.kind,
      text,
      offset: new LineIndex(text).offsetAt(position),
      model: state.parsed.model,
      catalog: this.index.catalogFor(state.root),
    });
    return toCompletionList(answer, text, this.completionListDefaults);
  }

  /** Edits for the editor's buffer; a refused file (YAML errors) gets none, and the reason goes to the log. */
  private formatting(uri: string): TextEdit[] {
    const file = toPath(uri);
    const text = this.documents.get(uri)?.getText();
    if (!file || text === undefined) return [];
    return formattingEdits({
      file,
      text,
      kind: this.index.get(file)?.classified.kind,
      enabled: this.settings.format.enable,
      log: (message) => this.connection.console.info(message),
    });
  }

  /** Quick fixes for the diagnostics the editor sent back, computed against the editor's current text. */
  private codeActions(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
    const file = toPath(uri);
    const state = file ? this.index.get(file) : undefined;
    const document = this.documents.get(uri);
    const text = document?.getText() ?? state?.parsed.text;
    if (!state || text === undefined) return [];
    return quickFixes({
      uri,
      version: document?.version ?? null,
      text,
      diagnostics: diagnostics.filter((diagnostic) => diagnostic.source === 'slayer'),
      dataSources: [...this.index.catalogFor(state.root).dataSourceNames()].sort(),
      locateColumn: (model, column) => this.columnSite(state.root, model, column),
    });
  }

  private columnSite(root: string | undefined, modelName: string, columnName: string): ColumnSite | undefined {
    for (const state of this.index.allFiles()) {
      const model = state.root === root ? state.parsed.model : undefined;
      const index = model?.name === modelName ? model.columns.findIndex((c) => c.name === columnName) : -1;
      const nameKey = state.parsed.sources.key(['columns', index, 'name']);
      if (!model || index < 0 || !nameKey) continue;
      const uri = this.uriFor(state.path);
      const list = state.parsed.sources.value(['columns', index, 'allowed_aggregations']);
      return {
        uri,
        version: this.documents.get(uri)?.version ?? null,
        text: state.parsed.text,
        nameKey,
        ...(list ? { list } : {}),
      };
    }
    return undefined;
  }

  private codeLenses(uri: string): CodeLens[] {
    const file = toPath(uri);
    const state = file ? this.index.get(file) : undefined;
    if (!file || !state) return [];
    return codeLensesFor(state, uri, {
      lastMeasureValue: (measure) => this.engine.lastMeasureValue(file, measure),
      now: Date.now(),
    });
  }

  private notify<N extends keyof NotificationMap>(method: N, params: NotificationMap[N]): void {
    void this.connection.sendNotification(method, params);
  }

  /** Runs state changes one after another; a failure is logged and never stops the queue. */
  private serial(task: () => Promise<unknown>): void {
    this.queue = this.queue
      .then(async () => void (await task()))
      .catch((error: unknown) => {
        this.connection.console.error(`SLayer: ${toSlayerError(error).message}`);
      });
  }

  private async reindex(): Promise<void> {
    this.indexing = true;
    try {
      await this.loadWorkspace();
    } finally {
      this.indexing = false;
    }
  }

  private async loadWorkspace(): Promise<void> {
    const started = Date.now();
    this.settings = await this.fetchSettings();
    this.index.setOptions({ warnOnUnknownFields: this.settings.warnOnUnknownFields });
    const progress = await this.beginProgress('SLayer: indexing models');
    const exclude = new PathMatcher(this.settings.exclude);
    const discovered = await discoverWorkspace(this.folders, exclude);
    const explicit = await this.explicitRoots();
    const roots = [...new Set([...discovered.roots, ...explicit])];
    const files = new Set(discovered.files);
    for (const root of explicit) for (const file of await listRootFiles(root)) files.add(file);
    await this.index.load(roots, [...files], (done, total, stage) => {
      // Reading is the first half of the work, checking the second.
      const share = Math.round((done / Math.max(1, total)) * 50) + (stage === 'checking' ? 50 : 0);
      progress?.report(share, `${stage} ${done} of ${total} files`);
    });
    for (const document of this.documents.all()) {
      const file = toPath(document.uri);
      if (file) await this.index.setOverlay(file, document.getText());
    }
    this.publishAll();
    progress?.done();
    this.restartWatcher(roots, exclude);
    // Announced as indexed once the watcher sees every folder: a change made after that is never missed.
    await this.watcher?.ready;
    this.notify(Notifications.indexed, {
      roots: roots.length,
      files: files.size,
      ...this.counts(),
      millis: Date.now() - started,
    });
    this.connection.console.info(
      `SLayer: indexed ${files.size} files in ${roots.length} storage root(s) in ${Date.now() - started} ms`,
    );
    // Diagnostics are out; the names navigation reads are built next, in slices, while requests are answered.
    this.namesReady = this.syncNames(started);
  }

  /**
   * Brings the name table up to date with the index, a slice at a time. Each
   * file is synced to what the index holds when its turn comes, so edits
   * made meanwhile (which sync their own files) are never undone.
   */
  private async syncNames(started: number): Promise<void> {
    let sliceStart = performance.now();
    for (const state of [...this.index.allFiles()]) {
      this.names.sync(state.path, this.index.get(state.path));
      if (performance.now() - sliceStart > NAMES_SLICE_MS) {
        await setImmediatePromise();
        sliceStart = performance.now();
      }
    }
    this.names.forgetMissing((file) => this.index.get(file) !== undefined);
    this.connection.console.info(`SLayer: names of every file ready ${Date.now() - started} ms after start.`);
  }

  private async explicitRoots(): Promise<string[]> {
    const base = this.folders[0] ?? process.cwd();
    const roots: string[] = [];
    for (const configured of this.settings.storageRoots) {
      const root = path.resolve(base, configured);
      if (await isExplicitRoot(root)) roots.push(root);
      else
        this.connection.console.warn(
          `SLayer: slayer.storageRoots entry '${configured}' has no models/ or datasources/ folder; skipped.`,
        );
    }
    return roots;
  }

  private async fetchSettings(): Promise<SlayerSettings> {
    if (!this.supportsConfiguration) return this.settings;
    const raw: unknown = await this.connection.workspace.getConfiguration(SETTINGS_SECTION);
    return normalizeSettings(raw);
  }

  private async beginProgress(title: string): Promise<WorkDoneProgressReporter | undefined> {
    if (!this.supportsProgress) return undefined;
    const reporter = await this.connection.window.createWorkDoneProgress();
    reporter.begin(title, 0, undefined, false);
    return throttled(reporter, PROGRESS_INTERVAL_MS);
  }

  private restartWatcher(roots: readonly string[], exclude: PathMatcher): void {
    this.stopWatching();
    const targets = [...new Set([...this.folders, ...roots])];
    if (targets.length === 0) return;
    this.watcher = watchWorkspace(targets, exclude, {
      changed: (file) => this.onDiskEvent(file),
      deleted: (file) => this.onDiskEvent(file),
    });
  }

  /**
   * Disk events are applied in batches: once the events stop for a moment
   * (or two seconds into a long burst), every file changed is re-read
   * once and every file affected re-checked and published once.
   */
  private onDiskEvent(file: string): void {
    if (this.pendingDisk.size === 0) this.diskBatchStarted = Date.now();
    this.pendingDisk.add(file);
    if (this.diskFlush) clearTimeout(this.diskFlush);
    const waited = Date.now() - this.diskBatchStarted;
    this.diskFlush = setTimeout(() => this.flushDisk(), waited > DISK_BATCH_MAX_MS ? 0 : DISK_QUIET_MS);
  }

  private flushDisk(): void {
    this.diskFlush = undefined;
    const files = [...this.pendingDisk];
    this.pendingDisk.clear();
    if (files.length === 0) return;
    this.serial(async () => {
      const affected = await this.afterUpdate(this.index.filesChangedOnDisk(files));
      // The watcher reports each change again once the file settles; a batch that changed nothing is not news.
      if (affected > 0) {
        this.connection.console.info(`SLayer: ${files.length} file(s) changed on disk; ${affected} re-checked.`);
      }
    });
  }

  private stopWatching(): void {
    if (this.diskFlush) clearTimeout(this.diskFlush);
    this.diskFlush = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Publishes what an index update re-checked; returns how many files that was. */
  private async afterUpdate(update: Promise<string[]>): Promise<number> {
    const files = await update;
    for (const file of files) {
      // Re-checked dependents keep their parse, so only the changed file's names are extracted again.
      this.names.sync(file, this.index.get(file));
      this.publish(file);
    }
    return files.length;
  }

  private publishAll(): void {
    const current = new Set<string>();
    for (const state of this.index.allFiles()) {
      current.add(state.path);
      this.publish(state.path);
    }
    for (const stale of [...this.published].filter((file) => !current.has(file))) this.publish(stale);
  }

  /**
   * Clean files nobody has open are not announced (thousands of empty lists help nobody); an open one is,
   * on opening and after every change, so the editor knows its diagnostics are current (and an editor that
   * dropped them when the file closed gets them back).
   */
  private publish(file: string): void {
    const state = this.index.get(file);
    const uri = this.uriFor(file);
    const diagnostics = state ? toDiagnostics(state.problems, state.parsed.text) : [];
    const document = this.documents.get(uri);
    const open = document !== undefined;
    if (diagnostics.length === 0 && !this.published.has(file) && !open) return;
    if (diagnostics.length > 0) this.published.add(file);
    else this.published.delete(file);
    // The version tells the editor (and a test) which text these diagnostics are for.
    void this.connection.sendDiagnostics({ uri, diagnostics, ...(document ? { version: document.version } : {}) });
  }

  private uriFor(file: string): string {
    return this.openDocument(file)?.uri ?? pathToFileURL(file).toString();
  }

  /** The editor's document for a file, matched by path: its URI may be spelled differently from ours. */
  private openDocument(file: string): TextDocument | undefined {
    const uri = this.openUris.get(file);
    return uri === undefined ? undefined : this.documents.get(uri);
  }

  private storageRootInfo(): StorageRootInfo[] {
    return this.index.storageRoots().map((root) => {
      const info: StorageRootInfo = { path: root, models: 0, datasources: 0, queries: 0 };
      for (const state of this.index.allFiles()) {
        if (state.root !== root) continue;
        if (state.classified.kind === 'model') info.models++;
        else if (state.classified.kind === 'datasource') info.datasources++;
        else info.queries++;
      }
      return info;
    });
  }

  private counts(): { errors: number; warnings: number } {
    let errors = 0;
    let warnings = 0;
    for (const state of this.index.allFiles()) {
      for (const problem of state.problems) {
        if (problem.severity === 'error') errors++;
        else if (problem.severity === 'warning') warnings++;
      }
    }
    return { errors, warnings };
  }

  private summary(): FileCheckSummary {
    return { files: [...this.index.allFiles()].length, ...this.counts() };
  }
}

/** How long disk events must pause before a batch is applied, and the longest a burst is held. */
const DISK_QUIET_MS = 50;
/** Progress bars move ten times a second at most (see throttled-progress.ts). */
const PROGRESS_INTERVAL_MS = 100;
/** The name table is built after start-up in slices this long. */
const NAMES_SLICE_MS = 15;
const DISK_BATCH_MAX_MS = 2000;

function workspaceFolders(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
  return uris.flatMap((uri) => {
    const file = toPath(uri);
    return file ? [file] : [];
  });
}

function toPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

function trustAtStart(options: unknown): boolean {
  const value =
    typeof options === 'object' && options !== null ? (options as Record<string, unknown>)[TRUST_OPTION] : undefined;
  return value !== false;
}
