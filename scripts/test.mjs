#!/usr/bin/env node
// `npm test`: installs what the tests need (cached), builds, then runs every suite:
// unit → conformance → integration (real VS Code) → end to end (real agents, real editor).
// Prints each stage's time and test counts, and ends with "N passed, M failed".
//   AGENT_METER_TEST_ONLY=unit,integration   run only these stages (setup and build always run)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const only = process.env.AGENT_METER_TEST_ONLY?.split(',').map((s) => s.trim());
const want = (name) => !only || only.includes(name);
const mocha = ['node_modules/.bin/mocha', '--color'];

/** [name, command, args, counts-from-output?] */
const stages = [
  ['setup: editor', 'bash', ['scripts/setup/editor.sh'], null, () => want('integration') || want('e2e')],
  ['setup: agents', 'bash', ['scripts/setup/agents.sh'], null, () => want('e2e')],
  ['setup: gemini', 'bash', ['scripts/setup/gemini.sh'], null, () => want('e2e')],
  ['setup: opencode', 'bash', ['scripts/setup/opencode.sh'], null, () => want('e2e')],
  ['setup: cline', 'bash', ['scripts/setup/cline.sh'], null, () => want('e2e')],
  ['setup: peer', 'bash', ['scripts/setup/peer.sh'], null, () => want('conformance')],
  ['build', 'node', ['esbuild.config.mjs', '--tests']],
  ['typecheck', 'node_modules/.bin/tsc', ['--noEmit', '-p', '.']],
  ['lint', 'node_modules/.bin/eslint', ['src', 'test', 'bench']],
  ['unit', mocha[0], [...mocha.slice(1), 'out/test/unit/**/*.test.js'], 'mocha', () => want('unit')],
  ['conformance', mocha[0], [...mocha.slice(1), '--timeout', '600000', 'out/test/conformance/**/*.test.js'], 'mocha', () => want('conformance')],
  ['package', 'node_modules/.bin/vsce', ['package', '--no-dependencies', '--allow-missing-repository', '--out', 'agent-meter.vsix'], null, () => want('e2e')],
  ['integration', 'node', ['out/test/runIntegration.js'], 'integration', () => want('integration')],
  ['e2e', mocha[0], [...mocha.slice(1), '--timeout', '300000', 'out/test/e2e/**/*.e2e.test.js'], 'mocha', () => want('e2e')],
];

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    const tee = (stream) => (d) => {
      out += d;
      stream.write(d);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.on('error', (e) => resolve({ code: 1, out: String(e) }));
  });
}

function counts(kind, out) {
  // Strip colours before reading the runner's summary.
  const text = out.replace(/\x1b\[[0-9;]*m/g, '');
  if (kind === 'mocha') {
    const passed = Number(/(\d+) passing/.exec(text)?.[1] ?? 0);
    const failed = Number(/(\d+) failing/.exec(text)?.[1] ?? 0);
    return { passed, failed };
  }
  if (kind === 'integration') {
    const m = /agent-meter integration: (\d+) passed, (\d+) failed/.exec(text);
    return { passed: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? 0) };
  }
  return undefined;
}

const summary = [];
let passed = 0;
let failed = 0;
let broken = false;
const started = Date.now();
for (const [name, command, args, kind, enabled] of stages) {
  if (enabled && !enabled()) continue;
  if (broken) {
    summary.push([name, 'skipped', '']);
    continue;
  }
  console.log(`\n━━ ${name} ━━ ${command} ${args.join(' ')}`);
  const t = Date.now();
  const { code, out } = await run(command, args);
  const seconds = ((Date.now() - t) / 1000).toFixed(1);
  const c = kind ? counts(kind, out) : undefined;
  if (c) {
    passed += c.passed;
    failed += c.failed;
    if (c.passed + c.failed === 0 && code === 0) {
      console.error(`${name}: no test ran`);
      failed += 1;
    }
  }
  summary.push([name, `${seconds} s`, c ? `${c.passed} passed, ${c.failed} failed` : code === 0 ? 'ok' : `exit ${code}`]);
  if (code !== 0) {
    if (!c || c.failed === 0) failed += 1;
    // A broken build or setup makes later stages meaningless; failing tests do not.
    if (!kind) broken = true;
  }
}

console.log('\n━━ summary ━━');
for (const [name, time, result] of summary) console.log(`${name.padEnd(16)} ${time.padStart(8)}  ${result}`);
console.log(`total            ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`);
if (existsSync('test-artifacts')) console.log('screenshots: test-artifacts/');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
