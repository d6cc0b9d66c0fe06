import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LedgerRecord, SessionSummary } from '../../src/core/ledger/ledger';
import { statuslineNumbers, statuslineText, type StatuslineTask } from '../../src/core/report/statusline';
import { TaskStore } from '../../src/core/tasks/taskStore';
import { claudeAssistant, codexMeta, codexTokens, codexTurn } from './helpers/fixtures';

const NOW = Date.UTC(2026, 10, 22, 15, 0, 0);
const DAY = Date.UTC(2026, 10, 22);
const MIN = 60_000;

function record(minutesAgo: number, costUSD: number | null, tokens = 1000): LedgerRecord {
  return {
    agent: 'claude-code',
    sessionId: 's',
    key: `k${minutesAgo}`,
    timestamp: NOW - minutesAgo * MIN,
    model: costUSD === null ? 'mystery-model' : 'claude-sonnet-4-5',
    inputTokens: tokens,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    fileId: 1,
    costUSD,
    totalTokens: tokens,
  };
}

describe('statusline', () => {
  it('adds up today and the last hour, and names the session', () => {
    const records = [record(10, 0.5), record(59, 0.25), record(61, 1), record(14 * 60, 2), record(16 * 60, 4)];
    const session = { agent: 'claude-code', sessionId: 's', costUSD: 7.75, totalTokens: 5000, requests: 5, unpricedModels: [] } as unknown as SessionSummary;
    const n = statuslineNumbers({ now: NOW, dayStart: DAY, records, session });
    assert.deepEqual([n.today.costUSD, n.today.requests, n.lastHour.costUSD, n.lastHour.requests], [3.75, 4, 0.75, 2]);
    assert.equal(statuslineText(n, 'Sonnet 4.5'), 'Sonnet 4.5 · $7.75 session · $3.75 today · $0.75/h');
  });

  it('never shows unpriced usage as $0', () => {
    const n = statuslineNumbers({ now: NOW, dayStart: DAY, records: [record(5, null, 12_000)] });
    assert.equal(statuslineText(n), '12k tokens today (unpriced) · 12k tokens/h (unpriced)');
    const mixed = statuslineNumbers({ now: NOW, dayStart: DAY, records: [record(5, null), record(6, 0.1)] });
    assert.equal(statuslineText(mixed), '$0.10 today (some unpriced) · $0.10/h (some unpriced)');
  });

  it("shows the open task's budget by the kind closest to its limit", () => {
    const task = (over: Partial<StatuslineTask>): StatuslineTask => ({ goal: 'Fix login', paused: false, fraction: 0.61, costUSD: 3.05, unpriced: false, totalTokens: 120_000, activeMinutes: 12.7, budget: { usd: 5 }, binding: 'usd', ...over });
    const line = (t: StatuslineTask) => statuslineText(statuslineNumbers({ now: NOW, dayStart: DAY, records: [], task: t }), 'Opus 4.5');
    assert.equal(line(task({})), 'Opus 4.5 · task $3.05 of $5.00 (61%)');
    assert.equal(line(task({ costUSD: null, totalTokens: 0, fraction: 0 })), 'Opus 4.5 · task $0.00 of $5.00 (0%)', 'nothing spent yet');
    assert.equal(line(task({ costUSD: 0.004, totalTokens: 900, fraction: 0.0008 })), 'Opus 4.5 · task $0.004 of $5.00 (<1%)', 'some spend is never 0%');
    assert.equal(line(task({ budget: { tokens: 300_000 }, binding: 'tokens', fraction: 0.4 })), 'Opus 4.5 · task 120k of 300k tokens (40%)');
    assert.equal(line(task({ budget: { minutes: 45 }, binding: 'minutes', fraction: 0.28, paused: true })), 'Opus 4.5 · task paused 12 of 45 min (28%)');
    assert.equal(line(task({ costUSD: null, fraction: undefined, binding: undefined })), 'Opus 4.5 · task 120k tokens (unpriced)');
  });

  it("keeps the last hour's pace across midnight", () => {
    // Midnight at 15:05 for the test: at 15:10, a request at 14:50 was yesterday, yet in the last hour.
    const n = statuslineNumbers({ now: NOW + 10 * MIN, dayStart: NOW + 5 * MIN, records: [record(10, 0.5), record(-7, 0.25)] });
    assert.deepEqual([n.today.costUSD, n.today.requests, n.lastHour.costUSD, n.lastHour.requests], [0.25, 1, 0.75, 2]);
    assert.equal(statuslineText(n), '$0.25 today · $0.75/h');
  });

  it('says so when there is no usage today', () => {
    const n = statuslineNumbers({ now: NOW, dayStart: DAY, records: [record(24 * 60, 1)] });
    assert.equal(statuslineText(n, 'Opus 4.5'), 'Opus 4.5 · no agent usage today');
    assert.equal(statuslineText(n), 'no agent usage today');
  });
});

describe('agent-meter statusline (dist/cli.js)', () => {
  const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-statusline-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (input: string | undefined, ...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'statusline', '--state-dir', path.join(dir, 'state'), ...args], {
      env: { PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), TZ: 'UTC' },
      input: input ?? '',
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };

  it("shows Claude Code's session from its statusLine JSON, today across agents, and the last hour", () => {
    const now = Date.now();
    const iso = (minutesAgo: number) => new Date(now - minutesAgo * MIN).toISOString();
    const midnight = new Date(now);
    midnight.setUTCHours(0, 0, 0, 0);
    const today = (minutesAgo: number) => now - minutesAgo * MIN >= midnight.getTime();
    const a = '11111111-2222-3333-4444-555555555555';
    const b = '66666666-7777-8888-9999-000000000000';
    const claude = path.join(dir, 'claude', 'projects', '-w');
    fs.mkdirSync(claude, { recursive: true });
    // Session a: 1,000 output tokens of Sonnet 4.5 ($15 per million) 10 minutes ago, 2,000 three days ago.
    fs.writeFileSync(path.join(claude, `${a}.jsonl`), claudeAssistant({ session: a, id: 'm1', requestId: 'r1', ts: iso(3 * 24 * 60), usage: { output: 2000 } }) + claudeAssistant({ session: a, id: 'm2', requestId: 'r2', ts: iso(10), usage: { output: 1000 } }));
    // Session b, another agent: a Codex call 90 minutes ago (today unless it is not yet 01:30).
    const codex = path.join(dir, 'codex', 'sessions', '2026', '11', '22');
    fs.mkdirSync(codex, { recursive: true });
    fs.writeFileSync(path.join(codex, `rollout-2026-11-22T10-00-00-${b}.jsonl`), codexMeta({ id: b, ts: iso(100) }) + codexTurn({ ts: iso(100), model: 'gpt-5' }) + codexTokens({ ts: iso(90), total: { input: 1000, cached: 0, output: 100 } }));

    const json = JSON.parse(run(JSON.stringify({ session_id: a, model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' } }), '--json')) as Record<string, { costUSD: number; totalTokens: number; requests: number }>;
    assert.deepEqual([json.session.costUSD, json.session.totalTokens], [0.045, 3000]);
    const codexCost = 1000 * 1.25e-6 + 100 * 10e-6;
    const expectedToday = (today(10) ? 0.015 : 0) + (today(90) ? codexCost : 0);
    assert.equal(json.today.costUSD ?? 0, Math.round(expectedToday * 1e9) / 1e9);
    assert.deepEqual([json.lastHour.costUSD, json.lastHour.requests], [0.015, 1]);

    const text = run(JSON.stringify({ session_id: a, model: { display_name: 'Sonnet 4.5' } }));
    // $0.045 and $0.015 to the cent; today $0.01725 (or $0.015 before 01:30, nothing before 00:10).
    const todayPart = expectedToday > 0 ? '\\$0\\.0[12] today · ' : '';
    assert.match(text, new RegExp(`^Sonnet 4\\.5 · \\$0\\.04 session · ${todayPart}\\$0\\.01/h$`));
    // Without stdin (a tmux status): no session, the rest the same; --session picks one.
    assert.match(run(undefined), new RegExp(`^${todayPart}\\$0\\.01/h$`));
    assert.match(run(undefined, '--session', b), /^\$0\.002[23] session · /);
  });

  it('does not hang on a stdin that stays open without an end', async () => {
    const child = spawn(process.execPath, [cli, 'statusline', '--no-cache'], { env: { PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex') }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill(), 10_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    child.stdin.destroy();
    assert.equal(code, 0, 'it gave up waiting and printed its line');
    assert.equal(out.trim(), 'no agent usage today');
    assert.ok(Date.now() - started < 5000);
  });

  it("shows the open task of Claude Code's folder from the editor's task store, and never writes the store", () => {
    const now = Date.now();
    const a = '11111111-2222-3333-4444-555555555555';
    const claude = path.join(dir, 'claude', 'projects', '-w');
    fs.mkdirSync(claude, { recursive: true });
    // 10,000 output tokens of Sonnet 4.5 in /work/app: $0.15, after the task started.
    fs.writeFileSync(path.join(claude, `${a}.jsonl`), claudeAssistant({ session: a, id: 'm1', requestId: 'r1', ts: new Date(now - MIN).toISOString(), usage: { output: 10_000 }, cwd: '/work/app/src' }));
    const storeFile = path.join(dir, 'editors', 'Code', 'User', 'globalStorage', 'agent-meter.agent-meter', 'tasks.json');
    new TaskStore(storeFile, { now: () => now - 5 * MIN }).start({ workspaceFolders: ['/work/app'], goal: 'Fix login', criteria: ['Tests pass'], budget: { usd: 0.5 } });
    const before = fs.readFileSync(storeFile, 'utf8');
    const env = { PATH: process.env.PATH, HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), TZ: 'UTC', AGENT_METER_EDITOR_USER_DIRS: path.join(dir, 'editors', 'Code') };
    const statusline = (cwd: string, ...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, 'statusline', '--no-cache', ...args], { env, input: JSON.stringify({ session_id: a, cwd, workspace: { current_dir: cwd }, model: { display_name: 'Sonnet 4.5' } }), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.match(statusline('/work/app'), /^Sonnet 4\.5 · task \$0\.15 of \$0\.50 \(30%\) · \$0\.15 session · /);
    assert.equal((JSON.parse(statusline('/work/app', '--json')) as { task: { goal: string; fraction: number } }).task.fraction, 0.3);
    // Another folder has no open task.
    assert.match(statusline('/work/other'), /^Sonnet 4\.5 · \$0\.15 session · /);
    assert.equal(fs.readFileSync(storeFile, 'utf8'), before, 'the store is only read');
  });
});
