import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import Module from 'node:module';
import * as path from 'node:path';
import { DAY_MS } from '../../src/core/util/day';
import { generate } from '../gen/generator';
import { claudeAssistant } from './helpers/fixtures';

/** The built CLI entry point (the tests build dist/ first). */
const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

describe('CLI entry point (dist/cli.js)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-cli-loader-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The environment that points the CLI at the test's folders, in UTC. */
  const logsEnv = () => ({ PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), TZ: 'UTC' });

  /** `node …nodeArgs entry sessions …args` over the test's folders: its stdout (it must exit 0). */
  const sessionsVia = (nodeArgs: string[], entry: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [...nodeArgs, entry, 'sessions', ...args], {
      env: logsEnv(),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  /** `agent-meter sessions …args` over the test's folders. */
  const sessions = (...args: string[]) => sessionsVia([], cli, ...args);
  const run = (...args: string[]) => sessions('--json', ...args);

  it('runs V8 without inlining, as the bundle run directly does not (a short run gets optimised code sooner)', function () {
    this.timeout(60_000);
    generate({ outDir: dir, seed: 3, claudeBytes: 8_000_000, codexBytes: 2_000_000 });
    /** How many functions V8 inlined while the entry point scanned the logs. */
    const inlinings = (entry: string) =>
      sessionsVia(['--trace-turbo-inlining'], entry, '--json', '--no-cache')
        .split('\n')
        .filter((line) => /^Inlining .* into /.test(line)).length;
    assert.ok(inlinings(path.join(path.dirname(cli), 'cli-main.js')) > 0, 'the control: V8 inlines during this scan without the flag');
    assert.equal(inlinings(cli), 0);
  });

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

  it("removes other builds' code caches unused for a month when it writes its own (Node without a built-in compile cache)", function () {
    if ((Module as { enableCompileCache?: unknown }).enableCompileCache) this.skip();
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    const aged = (name: string, days: number) => {
      fs.writeFileSync(path.join(state, name), 'an older build');
      const at = (Date.now() - days * DAY_MS) / 1000;
      fs.utimesSync(path.join(state, name), at, at);
    };
    aged('cli-11.3.244.8-node.38-100-1.v8cache', 31);
    aged('cli-11.3.244.8-node.38-100-2.v8cache', 3);
    aged('cli-11.3.244.8-node.38-100-3.v8cache.4242.tmp', 2);
    aged('notes.txt', 400);
    run('--state-dir', state);
    const ours = fs.readdirSync(state).filter((f) => f.endsWith('.v8cache') && !f.includes('-100-'));
    assert.equal(ours.length, 1, fs.readdirSync(state).join(', '));
    assert.deepEqual(fs.readdirSync(state).filter((f) => !f.startsWith('index-') && f !== ours[0]).sort(), ['cli-11.3.244.8-node.38-100-2.v8cache', 'notes.txt']);
  });

  it('writes no code cache when --state-dir has no value (the CLI refuses it), not even into a folder named after the next option', () => {
    const r = spawnSync(process.execPath, [cli, 'sessions', '--state-dir', '--json'], { cwd: dir, env: { PATH: process.env.PATH, HOME: path.join(dir, 'home') }, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--state-dir needs a value/);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing written in the working folder');
    assert.equal(fs.existsSync(path.join(dir, 'home')), false, 'nor in the default state folder');
  });

  it('without --json prints the table, and says so when --since leaves out every session', () => {
    const session = '11111111-2222-3333-4444-555555555555';
    fs.mkdirSync(path.join(dir, 'claude', 'projects', '-w'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'claude', 'projects', '-w', `${session}.jsonl`), claudeAssistant({ session, id: 'm1', requestId: 'r1', ts: '2026-11-01T10:00:00.000Z', usage: { input: 5, output: 7 } }));
    const table = (...args: string[]) => sessions('--no-cache', ...args);
    const all = table();
    assert.match(all, /^claude-code +11111111 +2026-11-01 10:00 /m);
    assert.match(all, /^Total +1 session +5 +7 /m);
    assert.match(all, /Times in local time\./);
    assert.equal(table('--since', '2026-11-02'), 'No agent usage on or after 2026-11-02: 1 earlier session (leave out --since to list them).\n');
    assert.match(table('--since', '2026-11-01'), /^Total +1 session /m);
  });

  it("fits the table to a terminal's width, and gives a pipe the whole table", () => {
    const session = '11111111-2222-3333-4444-555555555555';
    fs.mkdirSync(path.join(dir, 'claude', 'projects', '-w'), { recursive: true });
    const models = ['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805'];
    fs.writeFileSync(
      path.join(dir, 'claude', 'projects', '-w', `${session}.jsonl`),
      models.map((model, i) => claudeAssistant({ session, id: `m${i}`, requestId: `r${i}`, ts: '2026-11-01T10:00:00.000Z', model, usage: { input: 5, output: 7 } })).join(''),
    );
    const piped = sessions('--no-cache');
    assert.match(piped, /claude-haiku-4-5-20251001, claude-opus-4-1-20250805, claude-sonnet-4-5-20250929 +15 +21 /, 'a pipe gets every column');
    // A real terminal of 80 columns (a pty made here with python3), without COLUMNS set.
    const harness = `
import os, pty, sys, fcntl, termios, struct, subprocess, json
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 80, 0, 0))
p = subprocess.Popen(sys.argv[1:], stdout=slave, stderr=subprocess.PIPE)
os.close(slave)
out = b''
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk: break
    out += chunk
print(json.dumps({'status': p.wait(), 'stdout': out.decode(), 'stderr': p.stderr.read().decode()}))
`;
    const r = spawnSync('python3', ['-c', harness, process.execPath, cli, 'sessions', '--no-cache'], {
      env: logsEnv(),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const tty = JSON.parse(r.stdout) as { status: number; stdout: string; stderr: string };
    assert.equal(tty.status, 0, tty.stderr);
    const lines = tty.stdout.replace(/\r\n/g, '\n').trimEnd().split('\n');
    assert.match(lines[0], /^Agent +Session +Last activity +Models +Total +Cost$/);
    assert.match(tty.stdout, /haiku-4-5, opus-4-1, sonnet-4-5|haiku-4-5, opus-4-1, …/);
    for (const line of lines) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
  });

  it('says when it found logs but no usage in them, and how much it passed over', () => {
    fs.mkdirSync(path.join(dir, 'claude', 'projects', '-w'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'claude', 'projects', '-w', 'a.jsonl'), 'not json\nnor this\n');
    fs.writeFileSync(path.join(dir, 'claude', 'projects', '-w', 'b.jsonl'), '{"type":"user","message":{"role":"user","content":"hi"}}\n');
    assert.equal(sessions('--no-cache'), 'No agent usage in the 2 agent log files found (2 lines or files passed over: --verbose says which and why).\n');
    // With the index: the first run passes over the lines; a second reads nothing, and the index
    // still knows them (only a scan without it lists them again).
    const state = path.join(dir, 'state');
    assert.equal(sessions('--state-dir', state), 'No agent usage in the 2 agent log files found (2 lines or files passed over: --verbose says which and why).\n');
    assert.equal(sessions('--state-dir', state), 'No agent usage in the 2 agent log files found (2 lines or files passed over: --verbose --no-cache says which and why).\n');
    fs.appendFileSync(path.join(dir, 'claude', 'projects', '-w', 'a.jsonl'), '{"truncated\n');
    assert.equal(sessions('--state-dir', state), 'No agent usage in the 2 agent log files found (3 lines or files passed over: --verbose --no-cache says which and why).\n');
    fs.rmSync(path.join(dir, 'claude', 'projects', '-w', 'a.jsonl'));
    assert.equal(sessions('--no-cache'), 'No agent usage in the 1 agent log file found.\n');
    fs.rmSync(path.join(dir, 'claude'), { recursive: true });
    assert.match(sessions('--no-cache'), /^No agent sessions found\. Looked where each agent writes its logs/);
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

  describe('output written straight to stdout', () => {
    /** Enough sessions for a JSON report well past a pipe's 64 KiB buffer. */
    const SESSIONS = 300;
    beforeEach(() => {
      fs.mkdirSync(path.join(dir, 'claude', 'projects', '-w'), { recursive: true });
      for (let i = 0; i < SESSIONS; i++) {
        const session = `11111111-2222-3333-4444-${String(i).padStart(12, '0')}`;
        fs.writeFileSync(path.join(dir, 'claude', 'projects', '-w', `${session}.jsonl`), claudeAssistant({ session, id: `m${i}`, requestId: `r${i}`, ts: '2026-11-01T10:00:00.000Z', usage: { input: i, output: 7 } }));
      }
    });

    /**
     * Runs the CLI with its stdout on a pipe made here (python3, as every machine this runs on
     * has): `nonblocking` sets O_NONBLOCK on the CLI's end and reads only after 300 ms, so the
     * pipe is full first; `closeEarly` closes the reading end before the CLI starts.
     */
    const runOnPipe = (mode: 'nonblocking' | 'closeEarly') => {
      const harness = `
import os, subprocess, sys, time, fcntl, json
r, w = os.pipe()
if sys.argv[1] == 'nonblocking':
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
else:
    os.close(r)
p = subprocess.Popen(sys.argv[2:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
out = b''
if sys.argv[1] == 'nonblocking':
    time.sleep(0.3)
    while True:
        chunk = os.read(r, 65536)
        if not chunk: break
        out += chunk
err = p.stderr.read()
print(json.dumps({'status': p.wait(), 'stdout': out.decode(), 'stderr': err.decode()}))
`;
      const r = spawnSync('python3', ['-c', harness, mode, process.execPath, cli, 'sessions', '--json', '--no-cache'], {
        env: logsEnv(),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { status: number; stdout: string; stderr: string };
    };

    it('writes the whole report to a full non-blocking pipe', () => {
      const r = runOnPipe('nonblocking');
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.length > 65536, `a report longer than a pipe's buffer (${r.stdout.length} bytes)`);
      const sessions = (JSON.parse(r.stdout) as { sessions: Array<{ inputTokens: number }> }).sessions;
      assert.equal(sessions.length, SESSIONS);
      assert.equal(
        sessions.reduce((n, s) => n + s.inputTokens, 0),
        (SESSIONS * (SESSIONS - 1)) / 2,
      );
    });

    it('stops quietly when the reader has gone away', () => {
      const r = runOnPipe('closeEarly');
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '');
    });
  });
});
