/**
 * The integration-test runner that executes inside a real extension host (code-server here,
 * VS Code desktop under @vscode/test-electron). VS Code calls `run()` from the module named by
 * `extensionTestsPath`; its promise decides the exit code (resolve = 0, reject = 1).
 *
 * It runs every `*.test.js` next to this file (the compiled test/suite/**\/*.test.ts) with mocha's
 * bdd interface.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** 20 s per test: activation plus a debounced refresh takes well under a second here. */
const TEST_TIMEOUT_MS = Number(process.env.AGENT_METER_TEST_TIMEOUT_MS ?? 20_000);

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: TEST_TIMEOUT_MS, grep: process.env.AGENT_METER_TEST_GREP });
  const files = findTests(__dirname);
  if (files.length === 0) throw new Error(`no *.test.js files under ${__dirname}`);
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();

  const { passed, failed } = await new Promise<{ passed: number; failed: number }>((resolve, reject) => {
    try {
      const runner = mocha.run(() => resolve({ passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? 0 }));
    } catch (err) {
      reject(err);
    }
  });
  console.log(`agent-meter integration: ${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}
