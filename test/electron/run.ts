/**
 * Runs the extension-host smoke suite in a desktop VS Code through @vscode/test-electron.
 *
 * The VS Code executable comes from SLAYER_VSCODE_PATH: this project's machines cannot download
 * one, so without it the run is skipped (exit 0) with a message saying how to enable it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';
import { writeSlayerFolder } from '../../scripts/demo/slayer-folder';

const REPO_ROOT = path.resolve(__dirname, '../..');
const SUITE_ENTRY = path.join(REPO_ROOT, 'test', 'electron', 'suite', 'index.ts');
const SUITE_BUNDLE = path.join(REPO_ROOT, 'dist', 'test', 'electron', 'suite.js');
const EXPECTED_MESSAGE = "Unknown aggregation 'summ'. Did you mean 'sum'?";
const VALID_FORMULA = 'formula: "amount:sum"\n';
const BROKEN_FORMULA = 'formula: "amount:summ"\n';

interface BrokenModel {
  root: string;
  file: string;
  /** 0-based, as vscode.Range reports it. */
  line: number;
}

async function main(): Promise<number> {
  const vscodeExecutablePath = process.env['SLAYER_VSCODE_PATH'];
  if (!vscodeExecutablePath) {
    console.log('test:electron skipped: set SLAYER_VSCODE_PATH to a VS Code desktop executable to run it.');
    return 0;
  }
  if (!existsSync(vscodeExecutablePath)) {
    console.error(`test:electron: SLAYER_VSCODE_PATH=${vscodeExecutablePath} does not exist.`);
    return 1;
  }

  buildExtension();
  await bundleSuite();
  const scratch = mkdtempSync(path.join(tmpdir(), 'slayer-electron-'));
  try {
    const broken = await writeBrokenModel(path.join(scratch, 'workspace'));
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE_BUNDLE,
      launchArgs: [
        broken.root,
        '--disable-extensions',
        '--disable-workspace-trust',
        // Fresh profile per run; the default would be .vscode-test/ inside the repository.
        `--user-data-dir=${path.join(scratch, 'user-data')}`,
        `--extensions-dir=${path.join(scratch, 'extensions')}`,
      ],
      // The suite runs inside VS Code; the environment is how it learns what to look for.
      extensionTestsEnv: {
        SLAYER_SMOKE_FILE: broken.file,
        SLAYER_SMOKE_LINE: String(broken.line),
        SLAYER_SMOKE_MESSAGE: EXPECTED_MESSAGE,
      },
    });
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** dist/client.js and dist/server.js are what extensionDevelopmentPath loads. */
function buildExtension(): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`build failed (exit ${result.status ?? result.signal})`);
}

/** The extension host loads plain CommonJS; `vscode` is provided by the host at runtime. */
async function bundleSuite(): Promise<void> {
  await build({
    entryPoints: [SUITE_ENTRY],
    outfile: SUITE_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode'],
    logLevel: 'warning',
  });
}

/** The demo storage folder with one unknown aggregation in models/jaffle/orders.yaml. */
async function writeBrokenModel(root: string): Promise<BrokenModel> {
  await writeSlayerFolder(root, {
    sqlitePath: path.join(root, 'data', 'jaffle.sqlite'),
    duckdbPath: path.join(root, 'data', 'jaffle.duckdb'),
  });
  const file = path.join(root, 'models', 'jaffle', 'orders.yaml');
  const text = readFileSync(file, 'utf8');
  if (!text.includes(VALID_FORMULA)) throw new Error(`demo orders model no longer contains ${VALID_FORMULA.trim()}`);
  const brokenText = text.replace(VALID_FORMULA, BROKEN_FORMULA);
  writeFileSync(file, brokenText);
  const line = brokenText.split('\n').findIndex((candidate) => candidate.includes('amount:summ'));
  return { root, file, line };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('test:electron failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
