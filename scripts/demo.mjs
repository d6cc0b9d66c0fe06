#!/usr/bin/env node
// `npm start`: the extension in a real editor, on a demo workspace where a real agent (Claude Code
// against a scripted loopback model server) works, so the meter moves within a minute.
// In your VS Code when `code` is on the PATH, otherwise in code-server on 127.0.0.1 (URL printed).
//   AGENT_METER_DEMO_EDITOR=code-server   force code-server even when `code` exists
//   AGENT_METER_DEMO_RUNS=12              how many agent sessions to run (bounded; default 12)
//   AGENT_METER_DEMO_WAIT_S=20            seconds before the first session (time to open the editor)
//   AGENT_METER_DEMO_DIR=.cache/demo      where the demo's home and workspace go (emptied first)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const t0 = Date.now();
const step = (what) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${what}`);
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

const demo = path.resolve(process.env.AGENT_METER_DEMO_DIR || path.join(root, '.cache', 'demo'));
const home = path.join(demo, 'home');
const workspace = path.join(demo, 'workspace');
// A folder named by AGENT_METER_DEMO_DIR is emptied only if it is empty or an earlier demo's.
const marker = path.join(demo, '.agent-meter-demo');
if (process.env.AGENT_METER_DEMO_DIR && fs.existsSync(demo) && fs.readdirSync(demo).length > 0 && !fs.existsSync(marker)) {
  console.error(`${demo} holds files and is not an earlier demo's folder: set AGENT_METER_DEMO_DIR to another.`);
  process.exit(1);
}

const hasCode = process.env.AGENT_METER_DEMO_EDITOR !== 'code-server' && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
step(`editor: ${hasCode ? 'your VS Code (code on PATH)' : 'code-server on 127.0.0.1'}`);
step('installing the agent CLI (cached)');
sh('bash', ['scripts/setup/agents.sh']);
if (!hasCode) {
  step('installing code-server and Chromium (cached)');
  sh('bash', ['scripts/setup/editor.sh']);
}
step('building the extension');
sh('node', ['esbuild.config.mjs', '--tests']);
sh('node_modules/.bin/vsce', ['package', '--no-dependencies', '--allow-missing-repository', '--out', 'agent-meter.vsix']);

fs.rmSync(demo, { recursive: true, force: true });
fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
fs.mkdirSync(workspace, { recursive: true });
fs.writeFileSync(marker, '');
fs.writeFileSync(path.join(workspace, 'README.md'), '# Demo project\n\nAn agent is working here. Watch the status bar.\n');
spawnSync('git', ['init', '-q'], { cwd: workspace });
const env = { CLAUDE_CONFIG_DIR: path.join(home, '.claude'), CODEX_HOME: path.join(home, '.codex') };

const { startModelServer } = await import(path.join(root, 'out/test/e2e/modelServer.js'));
const { runClaude } = await import(path.join(root, 'out/test/e2e/agents.js'));
// Five tool calls two seconds apart: each reply lands in the log and moves the meter.
const model = await startModelServer({
  scenario: {
    name: 'demo',
    delayMs: 2000,
    steps: ['ls', 'cat README.md', 'echo "def greet(): return 42" > app.py', 'echo "## Usage" >> README.md', 'git status --short'].map((command) => ({ kind: 'tool', command })),
  },
  maxRequests: 10_000,
});
step(`scripted model server on ${model.url}`);

let editor;
if (hasCode) {
  spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'ignore', detached: true, env: { ...process.env, ...env } }).unref();
  step(`opened ${workspace} in VS Code with the extension under development`);
} else {
  const { startCodeServer, installVsix } = await import(path.join(root, 'out/test/harness/codeServer.js'));
  const extensionsDir = path.join(demo, 'extensions');
  const userDataDir = path.join(demo, 'data');
  fs.mkdirSync(extensionsDir, { recursive: true });
  await installVsix(path.join(root, 'agent-meter.vsix'), { extensionsDir, userDataDir });
  const port = Number(process.env.AGENT_METER_DEMO_PORT ?? 0) || undefined;
  editor = await startCodeServer({ workspace, extensionsDir, userDataDir, env, port });
  step(`code-server is up. Open this in a browser:\n\n    ${editor.url}/?folder=${encodeURIComponent(workspace)}\n`);
}

const runs = Number(process.env.AGENT_METER_DEMO_RUNS ?? 12);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  step('stopping');
  await model.close();
  await editor?.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('SIGHUP', stop);
// A SIGTERM to `npm start` reaches npm's `sh -c`, which exits without passing it on: this process
// would be left running with code-server. It stops when the process that started it is gone.
const parent = process.ppid;
const parentGone = () => {
  if (process.ppid !== parent) return true; // re-parented (POSIX)
  try {
    process.kill(parent, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
};
setInterval(() => {
  if (parentGone()) void stop();
}, 1000).unref();
const wait = Number(process.env.AGENT_METER_DEMO_WAIT_S ?? 20);
step(`an agent session starts in ${wait} s, then ${runs} in all, one after another (Ctrl+C to stop)`);
await new Promise((r) => setTimeout(r, wait * 1000));
for (let i = 1; i <= runs && !stopping; i++) {
  step(`agent session ${i}/${runs}: claude -p … (scripted replies, real CLI, real log)`);
  const run = await runClaude({ cwd: workspace, home, serverUrl: model.url, prompt: 'Tidy up the demo project.', timeoutMs: 120_000 });
  if (run.code !== 0) step(`claude exited with ${run.code}: ${run.stderr.slice(0, 300)}`);
}
step('demo sessions done; the editor stays open until Ctrl+C');
if (!hasCode) await new Promise(() => {});
else await stop();
