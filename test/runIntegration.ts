/**
 * Runs the integration suite (out/test/suite/index.js) inside a real VS Code.
 *
 * - default: code-server 4.100.3 + headless Chromium (scripts/setup/editor.sh installs them);
 *   works offline.
 * - AGENT_METER_EDITOR=electron: @vscode/test-electron's runTests, which downloads VS Code desktop
 *   (for laptops and public CI; its download host is not reachable on the build machines).
 *
 * Both open a scratch workspace and give the extension host a scratch CLAUDE_CONFIG_DIR and
 * CODEX_HOME, so the extension never reads the real logs of whoever runs the tests. Tests find the
 * folders in the same variables (and AGENT_METER_TEST_ROOT) to write fixture logs into.
 *
 * Usage: node out/test/runIntegration.js [workspace-folder]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExtensionTests } from './harness/codeServer';

/** 5 min: a cold code-server start plus the suite takes about 15 s here. */
const TIMEOUT_MS = Number(process.env.AGENT_METER_INTEGRATION_TIMEOUT_MS ?? 300_000);

async function main(): Promise<number> {
  const extensionDevelopmentPath = path.resolve(__dirname, '..', '..');
  const extensionTestsPath = path.join(__dirname, 'suite', 'index.js');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-it-'));
  const workspace = path.resolve(process.argv[2] ?? path.join(root, 'workspace'));
  const env: Record<string, string> = {
    AGENT_METER_TEST_ROOT: root,
    CLAUDE_CONFIG_DIR: path.join(root, 'claude'),
    CODEX_HOME: path.join(root, 'codex'),
    // Every other agent's logs too, so the suite never reads the real user's.
    GEMINI_CLI_HOME: path.join(root, 'gemini-home'),
    XDG_DATA_HOME: path.join(root, 'xdg-data'),
    AGENT_METER_EDITOR_USER_DIRS: path.join(root, 'editors'),
  };
  for (const dir of [workspace, env.CLAUDE_CONFIG_DIR, env.CODEX_HOME, env.GEMINI_CLI_HOME]) fs.mkdirSync(dir, { recursive: true });
  for (const key of ['AGENT_METER_TEST_GREP', 'AGENT_METER_TEST_TIMEOUT_MS']) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }

  try {
    if (process.env.AGENT_METER_EDITOR === 'electron') {
      const { runTests } = await import('@vscode/test-electron');
      return await runTests({
        extensionDevelopmentPath,
        extensionTestsPath,
        launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
        extensionTestsEnv: env,
      });
    }
    const result = await runExtensionTests({
      extensionDevelopmentPath,
      extensionTestsPath,
      workspace,
      env,
      timeoutMs: TIMEOUT_MS,
      onLog: (line) => console.log(line),
    });
    if (result.timedOut) console.error(`integration tests timed out after ${TIMEOUT_MS} ms`);
    console.log(`code-server run finished in ${(result.durationMs / 1000).toFixed(1)} s, exit code ${result.exitCode}`);
    return result.exitCode ?? 1;
  } finally {
    if (!process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
