import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeAssistant } from './helpers/fixtures';

/** The built CLI entry point (the tests build dist/ first). */
const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

describe('CLI entry point (dist/cli.js)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-cli-loader-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'sessions', '--json', ...args], {
      env: { PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), TZ: 'UTC' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('caches compiled code next to the index, gives the same output with it, and writes nothing with --no-cache', () => {
    const session = '11111111-2222-3333-4444-555555555555';
    fs.mkdirSync(path.join(dir, 'claude', 'projects', '-w'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'claude', 'projects', '-w', `${session}.jsonl`), claudeAssistant({ session, id: 'm1', requestId: 'r1', ts: '2026-11-01T10:00:00.000Z', usage: { input: 5, output: 7 } }));
    const state = path.join(dir, 'state');
    const first = run('--state-dir', state);
    assert.equal(JSON.parse(first).sessions[0].totalTokens, 12);
    const cached = fs.readdirSync(state).filter((f) => f.endsWith('.v8cache') || f === 'compile-cache');
    assert.equal(cached.length, 1, `a code cache beside the index: ${fs.readdirSync(state).join(', ')}`);
    assert.equal(run('--state-dir', state), first, 'the cached run prints the same');

    // A damaged cache is rejected by V8 and replaced, never trusted.
    const cacheFile = path.join(state, cached[0]);
    if (fs.statSync(cacheFile).isFile()) {
      fs.writeFileSync(cacheFile, 'not a code cache');
      assert.equal(run('--state-dir', state), first);
      assert.notEqual(fs.readFileSync(cacheFile, 'utf8'), 'not a code cache');
    }

    const none = path.join(dir, 'none');
    assert.equal(run('--state-dir', none, '--no-cache'), first);
    assert.equal(fs.existsSync(none), false, '--no-cache writes nothing');
  });

  it('loads zod only for --price-overrides (it costs more than a whole warm start)', () => {
    // A preload that makes any require of zod fail loudly.
    const guard = path.join(dir, 'no-zod.js');
    fs.writeFileSync(guard, "const M = require('module'); const r = M._resolveFilename; M._resolveFilename = function (id, ...a) { if (id === 'zod') throw new Error('zod was loaded'); return r.call(this, id, ...a); };");
    for (const command of ['sessions', 'statusline']) {
      const r = spawnSync(process.execPath, ['--require', guard, cli, command, '--no-cache'], { env: { PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex') }, input: '', encoding: 'utf8' });
      assert.equal(r.status, 0, `${command}: ${r.stderr}`);
    }
    const overrides = path.join(dir, 'prices.json');
    fs.writeFileSync(overrides, '{}');
    const r = spawnSync(process.execPath, ['--require', guard, cli, 'sessions', '--no-cache', '--price-overrides', overrides], { env: { PATH: process.env.PATH, HOME: path.join(dir, 'home') }, encoding: 'utf8' });
    assert.match(r.stderr, /zod was loaded/, 'the guard works');
  });
});
