/**
 * Drives a real VS Code (code-server, VS Code 1.100 in the browser) with headless Chromium.
 *
 * Everything runs on loopback with fresh, throw-away directories: extensions, user data,
 * code-server config and the browser profile are created per run, so nothing from the
 * machine's own VS Code or an earlier run leaks in.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const VSIX_PATH = path.join(REPO_ROOT, 'dist', 'slayer-studio.vsix');
const INSTALL_SCRIPT = path.resolve(REPO_ROOT, '../shared/tools/install-code-server.sh');

export interface CodeServerInstall {
  /** code-server's `out/node/entry.js`, run with the machine's Node. */
  entry: string;
  chromium: string;
}

/** Settings that keep the workbench quiet and deterministic: no welcome page, tips, trust prompt or network. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  // Unsaved buffers are part of what the tests drive; code-server's default would save them behind our back.
  'files.autoSave': 'off',
};

// ---------------------------------------------------------------------------
// Artifacts
// ---------------------------------------------------------------------------

let artifactsAnnounced = false;

/** `.test-artifacts/e2e/`, created on first use; its absolute path is printed once so CI logs point at it. */
export function artifactsDir(): string {
  const dir = path.join(REPO_ROOT, '.test-artifacts', 'e2e');
  mkdirSync(dir, { recursive: true });
  if (!artifactsAnnounced) {
    artifactsAnnounced = true;
    console.log(`[e2e] artifacts: ${dir}`);
  }
  return dir;
}

/** A fresh temp directory; `cleanup()` removes every one made, in `after` hooks. */
const tempDirs: string[] = [];
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `slayer-e2e-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Install: code-server and the packaged extension
// ---------------------------------------------------------------------------

/** Runs the shared, idempotent install script and reads the paths it prints. */
export function installCodeServer(): CodeServerInstall {
  const result = spawnSync('bash', [INSTALL_SCRIPT], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  if (result.status !== 0) {
    throw new Error(`${INSTALL_SCRIPT} failed (exit ${result.status ?? result.signal}):\n${tail(result.stderr, 40)}`);
  }
  const entry = printedValue(result.stdout, 'CODE_SERVER_ENTRY');
  const chromiumPath = printedValue(result.stdout, 'CHROMIUM');
  return { entry, chromium: process.env['CHROMIUM'] ?? chromiumPath };
}

function printedValue(stdout: string, key: string): string {
  const line = stdout.split('\n').find((text) => text.startsWith(`${key}=`));
  const value = line?.slice(key.length + 1).trim();
  if (!value) throw new Error(`install script printed no ${key}=...; stdout was:\n${stdout}`);
  return value;
}

/** Packages the extension (build + vsce) so the test always runs the current sources. */
export function packageExtension(): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `scripts/package.mjs failed (exit ${result.status ?? result.signal}):\n${tail(result.stdout + result.stderr, 40)}`,
    );
  }
}

/** Installs the vsix into `extensionsDir` with code-server's own CLI, as a user would. */
export function installVsix(install: CodeServerInstall, extensionsDir: string, vsixPath = VSIX_PATH): void {
  const result = spawnSync(
    process.execPath,
    [install.entry, '--extensions-dir', extensionsDir, '--install-extension', vsixPath, '--force'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const output = `${result.stdout}${result.stderr}`;
  // code-server prints failures but may still exit 0, so the success line is what counts.
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`installing ${vsixPath} failed (exit ${result.status ?? result.signal}):\n${tail(output, 40)}`);
  }
}

// ---------------------------------------------------------------------------
// code-server process
// ---------------------------------------------------------------------------

export interface StartOptions {
  install: CodeServerInstall;
  extensionsDir: string;
  workspace: string;
  settings?: Record<string, unknown>;
  /** How long to wait for the first HTTP answer. Cold starts on 2 cores take 5-30 s. */
  startTimeoutMs?: number;
}

export class CodeServer {
  private readonly output: string[] = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly port: number,
    readonly workspace: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    const record = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.output.push(text);
      appendFileSync(this.logFile, text);
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
    });
  }

  static async start(options: StartOptions): Promise<CodeServer> {
    const port = await freeLoopbackPort();
    const userDataDir = makeTempDir('user-data');
    writeUserSettings(userDataDir, { ...QUIET_SETTINGS, ...options.settings });
    // An explicit config file: without one code-server reads and writes ~/.config/code-server.
    const configFile = path.join(makeTempDir('config'), 'config.yaml');
    writeFileSync(configFile, 'auth: none\ncert: false\n');
    const logFile = path.join(artifactsDir(), 'code-server.log');
    writeFileSync(logFile, '');
    const args = [
      options.install.entry,
      '--config',
      configFile,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      options.extensionsDir,
      options.workspace,
    ];
    // detached: its own process group, so stop() also ends the extension host and the language server.
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new CodeServer(port, options.workspace, logFile, child);
    try {
      await server.waitUntilAnswering(options.startTimeoutMs ?? 90_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** The workbench URL that opens the workspace folder. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  logTail(lines = 60): string {
    return tail(this.output.join(''), lines);
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'no attempt yet';
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`code-server exited early (${JSON.stringify(this.exited)}):\n${this.logTail()}`);
      }
      try {
        // The root redirects (302) to the workbench; any answer means the HTTP server is up.
        const response = await fetch(`http://127.0.0.1:${this.port}/`, {
          redirect: 'manual',
          signal: AbortSignal.timeout(2_000),
        });
        if (response.status < 500) return;
        lastError = `HTTP ${response.status}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    throw new Error(
      `code-server did not answer on port ${this.port} within ${timeoutMs} ms (${lastError}):\n${this.logTail()}`,
    );
  }

  /** Ends the whole process group: TERM first, KILL if it lingers. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!this.exited && Date.now() < deadline) await sleep(100);
    // The extension host and language server share the group and may outlive the parent.
    signalGroup(pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const userDir = path.join(userDataDir, 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(path.join(userDir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/** Asks the OS for a free port; the tiny race until code-server binds it is acceptable for a test. */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

export interface Workbench {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches headless Chromium with a fresh profile and waits for the workbench to render. */
export async function openWorkbench(install: CodeServerInstall, server: CodeServer): Promise<Workbench> {
  const profile = makeTempDir('chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: install.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  const close = (): Promise<void> => context.close();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url, { timeout: 60_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    return { context, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs one step of a browser test; on failure saves `<name>-failure.png` and rethrows with the
 * screenshot path and code-server's log tail, which is usually where the real cause is.
 */
export async function step<T>(
  name: string,
  page: Page | undefined,
  server: CodeServer | undefined,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const details: string[] = [`e2e step '${name}' failed: ${error instanceof Error ? error.message : String(error)}`];
    if (page) {
      const shot = path.join(artifactsDir(), `${name}-failure.png`);
      try {
        await page.screenshot({ path: shot });
        details.push(`screenshot: ${shot}`);
      } catch (shotError) {
        details.push(`screenshot failed: ${String(shotError)}`);
      }
    }
    if (server) details.push(`code-server log (${server.logFile}), last lines:\n${server.logTail()}`);
    throw new Error(details.join('\n'), { cause: error });
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
