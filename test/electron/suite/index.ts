/**
 * Entry point the VS Code extension host loads (`--extensionTestsPath`): it calls `run()` and
 * treats a rejected promise as a failed run. Bundled to dist/test/electron/suite.js by run.ts.
 */
import { smokeTests } from './smoke';

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of smokeTests) {
    const started = Date.now();
    try {
      await body();
      console.log(`ok - ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`not ok - ${name}\n${message}`);
      failures.push(name);
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} smoke test(s) failed: ${failures.join(', ')}`);
}
