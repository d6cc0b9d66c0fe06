import * as assert from 'node:assert/strict';
import type { LedgerRecord } from '../../src/core/ledger/ledger';
import { historyModel, MAX_TIMELINE_POINTS, recapModel, timelinePoints } from '../../src/core/recap/recapModel';
import type { GitOutcome } from '../../src/core/recap/recapTypes';
import { recapModelSchema, historyModelSchema } from '../../src/core/recap/recapTypes';
import { summarise } from '../../src/core/recap/git';
import type { ActivityEvent, AgentId } from '../../src/core/sources/types';
import { taskNumbers, taskRecords } from '../../src/core/tasks/attribution';
import { finishTask, pauseTask, resumeTask, startTask, type Task, type TaskNumbers } from '../../src/core/tasks/task';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const MIN = 60_000;

function r(
  sessionId: string,
  minute: number,
  o: { input?: number; output?: number; cw5m?: number; cw1h?: number; cr?: number; reasoning?: number; cost: number | null; model?: string; agent?: AgentId; fileId?: number },
): LedgerRecord {
  const input = o.input ?? 0;
  const output = o.output ?? 0;
  const cw5m = o.cw5m ?? 0;
  const cw1h = o.cw1h ?? 0;
  const cr = o.cr ?? 0;
  return {
    agent: o.agent ?? 'claude-code',
    sessionId,
    key: `${sessionId}:${minute}`,
    timestamp: T0 + minute * MIN,
    model: o.model ?? 'claude-sonnet-4-5',
    inputTokens: input,
    outputTokens: output,
    cacheWrite5mTokens: cw5m,
    cacheWrite1hTokens: cw1h,
    cacheReadTokens: cr,
    reasoningOutputTokens: o.reasoning ?? 0,
    fileId: o.fileId ?? 1,
    costUSD: o.cost,
    totalTokens: input + output + cw5m + cw1h + cr,
  };
}

const s1 = [
  r('s1', 1, { input: 100, output: 50, cw5m: 200, cr: 1000, cost: 0.1, fileId: 1 }),
  r('s1', 5, { input: 10, output: 20, cw1h: 40, cr: 2000, reasoning: 8, cost: 0.3, fileId: 1 }),
  // Inside the pause (minutes 20-30): not the task's.
  r('s1', 25, { input: 999, cost: 9, fileId: 1 }),
];
const s2 = [r('s2', 40, { input: 5, output: 5, cost: null, model: 'mystery-model', agent: 'codex', fileId: 2 })];
const sessions = [
  { agent: 'claude-code' as const, sessionId: 's1', cwd: '/work/app' },
  { agent: 'codex' as const, sessionId: 's2', cwd: '/work/app/sub' },
];
const recordsOf = (agent: AgentId, id: string) => (agent === 'claude-code' && id === 's1' ? s1 : agent === 'codex' && id === 's2' ? s2 : []);

function ev(kind: 'userTurn' | 'toolCall' | 'toolError', minute: number, name = 'Bash', sessionId = 's1'): ActivityEvent {
  const base = { agent: 'claude-code' as const, sessionId, timestamp: T0 + minute * MIN };
  if (kind === 'userTurn') return { ...base, kind };
  if (kind === 'toolCall') return { ...base, kind, name, argsHash: `h${minute}`, callId: `c${minute}` };
  return { ...base, kind, name, errorHash: `e${minute}`, callId: `c${minute}` };
}

const activity: ActivityEvent[] = [
  ev('toolCall', -1, 'Read'), // before the start
  ev('userTurn', 0.5),
  ev('toolCall', 2),
  ev('toolCall', 3),
  ev('toolError', 4),
  ev('toolCall', 25, 'Edit'), // paused
  ev('toolCall', 41, 'Read'),
];

const git: GitOutcome = summarise(
  [
    { hash: 'a1', at: (T0 + 10 * MIN) / 1000, subject: 'first', files: [{ path: 'a.ts', added: 10, deleted: 2, binary: false }, { path: 'b.png', added: null, deleted: null, binary: true }] },
    { hash: 'b2', at: (T0 + 50 * MIN) / 1000, subject: 'second', files: [{ path: 'a.ts', added: 5, deleted: 5, binary: false }, { path: 'c.ts', added: 3, deleted: 0, binary: false }] },
  ],
  [],
);

function finishedTask(): { task: Task; numbers: TaskNumbers; records: LedgerRecord[] } {
  let task = startTask({ workspaceFolders: ['/work/app'], goal: 'Add CSV export', criteria: ['Button works', 'Tests pass'], budget: { usd: 5 } }, T0, 'task-1');
  task = pauseTask(task, T0 + 20 * MIN);
  task = resumeTask(task, T0 + 30 * MIN);
  task = { ...task, flags: [{ rule: 'errorLoop', severity: 'warning', at: T0 + 45 * MIN, message: 'Bash failed 3 times', evidence: [{ tool: 'Bash' }, 'same error'] }] };
  const numbers = taskNumbers(task, sessions, recordsOf, T0 + 60 * MIN);
  task = finishTask(task, 'done', [true, false], numbers, T0 + 60 * MIN);
  const records = taskRecords(task, sessions, recordsOf).flatMap((g) => g.records);
  return { task, numbers, records };
}

describe('recap model', () => {
  it('agrees with the task numbers it is given (hand-computed)', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git, now: T0 + 90 * MIN, logFileOf: (id) => ({ 1: '/logs/s1.jsonl', 2: '/logs/s2.jsonl' })[id] });
    recapModelSchema.parse(m);
    assert.equal(records.length, 3, 'the paused record is not the task\'s');
    assert.equal(m.goal, 'Add CSV export');
    assert.equal(m.outcome, 'done');
    assert.deepEqual(m.criteria, [{ text: 'Button works', done: true }, { text: 'Tests pass', done: false }]);
    assert.equal(m.wallMs, 60 * MIN, 'wall time ends at the finish, not at now');
    assert.equal(m.activeMs, 50 * MIN, 'ten paused minutes are not active');
    assert.ok(Math.abs(m.costUSD! - 0.4) < 1e-12);
    assert.equal(m.costUSD, numbers.costUSD);
    assert.deepEqual(m.unpricedModels, ['mystery-model']);
    assert.equal(m.requests, 3);
    // input 100+10+5, output 50+20+5, cache write 200+40, cache read 1000+2000, reasoning 8.
    assert.deepEqual(m.tokens, { input: 115, output: 75, cacheWrite: 240, cacheRead: 3000, reasoning: 8, total: 115 + 75 + 240 + 3000 });
    assert.equal(m.tokens.total, numbers.totalTokens);
    assert.ok(Math.abs(m.cacheHitRate! - 3000 / (115 + 240 + 3000)) < 1e-12);
    assert.deepEqual(
      m.byModel.map((x) => [x.model, x.priced, x.requests, x.tokens.total]),
      [
        ['claude-sonnet-4-5', true, 2, 1350 + 2070],
        ['mystery-model', false, 1, 10],
      ],
    );
  });

  it('divides the cost by what git shows: commits, lines, files', () => {
    const { task, numbers, records } = finishedTask();
    const d = recapModel({ task, numbers, records, activity, git, now: T0 + 90 * MIN }).delivered;
    assert.equal(d.commits, 2);
    assert.equal(d.linesAdded, 18);
    assert.equal(d.linesDeleted, 7);
    assert.equal(d.linesChanged, 25);
    assert.equal(d.filesTouched, 3);
    assert.ok(Math.abs(d.usdPerCommit! - 0.2) < 1e-12);
    assert.ok(Math.abs(d.usdPer100Lines! - 1.6) < 1e-12);
    assert.equal(d.git.state === 'ok' && d.git.binaryFiles, 1);
  });

  it('says n/a (null) per commit without commits or without git, never divides by zero', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git: { state: 'notRepo', message: '/work/app is not a git repository.' }, now: T0 });
    assert.equal(m.delivered.commits, 0);
    assert.equal(m.delivered.usdPerCommit, null);
    assert.equal(m.delivered.usdPer100Lines, null);
    assert.equal(m.delivered.git.state, 'notRepo');
  });

  it('counts tools, errors and user turns inside the task windows only', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git, now: T0 + 90 * MIN });
    assert.deepEqual(m.tools, [
      { name: 'Bash', calls: 2, errors: 1 },
      { name: 'Read', calls: 1, errors: 0 },
    ]);
    assert.equal(m.toolCalls, 3);
    assert.equal(m.toolErrors, 1);
    assert.equal(m.userTurns, 1);
  });

  it('draws cumulative dollars from 0 and marks user turns and flags', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git, now: T0 + 90 * MIN });
    assert.deepEqual(
      m.timeline.points.map((p) => [(p.at - T0) / MIN, Math.round(p.usd * 100) / 100]),
      [
        [0, 0],
        [1, 0.1],
        [5, 0.4],
        [40, 0.4],
      ],
    );
    assert.deepEqual(
      m.timeline.marks.map((k) => [k.kind, (k.at - T0) / MIN]),
      [
        ['userTurn', 0.5],
        ['flag', 45],
      ],
    );
    assert.equal(m.timeline.from, T0);
    assert.equal(m.timeline.to, T0 + 60 * MIN);
  });

  it('lists the most expensive requests first, unpriced last, at most 10', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git, now: T0 });
    assert.deepEqual(
      m.topRequests.map((x) => [x.sessionId, x.costUSD]),
      [
        ['s1', 0.3],
        ['s1', 0.1],
        ['s2', null],
      ],
    );
    const many = Array.from({ length: 25 }, (_, i) => r('s1', i, { input: 1, cost: i / 100 }));
    const top = recapModel({ task, numbers, records: many, activity: [], git, now: T0 }).topRequests;
    assert.equal(top.length, 10);
    assert.equal(top[0].costUSD, 0.24);
  });

  it('names each session with its agent, models and log file; flags keep their evidence as text', () => {
    const { task, numbers, records } = finishedTask();
    const m = recapModel({ task, numbers, records, activity, git, now: T0, logFileOf: (id) => ({ 1: '/logs/s1.jsonl', 2: '/logs/s2.jsonl' })[id] });
    assert.deepEqual(
      m.sessions.map((x) => [x.key, x.agent, x.models, x.requests, x.logFile]),
      [
        ['claude-code:s1', 'claude-code', ['claude-sonnet-4-5'], 2, '/logs/s1.jsonl'],
        ['codex:s2', 'codex', ['mystery-model'], 1, '/logs/s2.jsonl'],
      ],
    );
    assert.deepEqual(m.flags, [{ rule: 'errorLoop', severity: 'warning', at: T0 + 45 * MIN, message: 'Bash failed 3 times', evidence: ['{"tool":"Bash"}', 'same error'] }]);
  });

  it('runs an open task\'s wall time up to now', () => {
    const task = startTask({ workspaceFolders: ['/work/app'], goal: 'Open one', criteria: ['x'], budget: { usd: 1 } }, T0, 'open');
    const numbers = taskNumbers(task, sessions, recordsOf, T0 + 15 * MIN);
    const m = recapModel({ task, numbers, records: [], activity: [], git, now: T0 + 15 * MIN });
    assert.equal(m.status, 'active');
    assert.equal(m.outcome, undefined);
    assert.equal(m.wallMs, 15 * MIN);
    assert.equal(m.activeMs, 15 * MIN);
  });

  it('downsamples a long timeline but still ends exactly at the total', () => {
    const many = Array.from({ length: 5000 }, (_, i) => r('s1', i / 10, { input: 1, cost: 0.001 }));
    const points = timelinePoints(T0, many);
    assert.equal(points.length, MAX_TIMELINE_POINTS);
    assert.equal(points[0].usd, 0);
    assert.ok(Math.abs(points.at(-1)!.usd - 5) < 1e-9);
    for (let i = 1; i < points.length; i++) assert.ok(points[i].at >= points[i - 1].at && points[i].usd >= points[i - 1].usd);
  });
});

describe('recap history', () => {
  const numbersOf = (usd: number | null, agents: AgentId[] = ['claude-code']): TaskNumbers => ({
    inputTokens: 10,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 10,
    costUSD: usd,
    requests: 1,
    byModel: [],
    sessions: agents.map((agent, i) => ({ agent, sessionId: `s${i}`, firstActivity: T0, lastActivity: T0, totals: { inputTokens: 10, outputTokens: 0, cacheCreationTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, reasoningOutputTokens: 0, totalTokens: 10, costUSD: usd, requests: 1 } })),
    unpricedModels: usd === null ? ['x'] : [],
    activeMs: 0,
  });
  const finished = (id: string, start: number, end: number, outcome: 'done' | 'partly' | 'abandoned', usd: number | null, agents?: AgentId[]) => {
    const t = startTask({ workspaceFolders: ['/w'], goal: `Goal ${id}`, criteria: ['a', 'b'], budget: { usd: 9 } }, start, id);
    const numbers = numbersOf(usd, agents);
    return { task: finishTask(t, outcome, [true, outcome === 'done'], numbers, end), numbers };
  };

  it('totals spend by outcome and the running cost per done task', () => {
    const open = startTask({ workspaceFolders: ['/w'], goal: 'Still going', criteria: ['a'], budget: { usd: 9 } }, T0 + 500 * MIN, 'open');
    const h = historyModel([
      finished('d1', T0, T0 + 10 * MIN, 'done', 1),
      finished('ab', T0 + 20 * MIN, T0 + 30 * MIN, 'abandoned', 2),
      finished('d2', T0 + 40 * MIN, T0 + 60 * MIN, 'done', 3, ['claude-code', 'codex']),
      finished('p', T0 + 70 * MIN, T0 + 80 * MIN, 'partly', null),
      { task: open, numbers: numbersOf(0.5) },
    ]);
    historyModelSchema.parse(h);
    assert.deepEqual(h.totals.done, { count: 2, costUSD: 4 });
    assert.deepEqual(h.totals.abandoned, { count: 1, costUSD: 2 });
    assert.deepEqual(h.totals.partly, { count: 1, costUSD: 0 });
    assert.deepEqual(h.totals.open, { count: 1, costUSD: 0.5 });
    assert.deepEqual(h.totals.all, { count: 5, costUSD: 6.5 });
    assert.deepEqual(
      h.costPerDone.map((p) => [p.taskId, p.costUSD, p.meanUSD]),
      [
        ['d1', 1, 1],
        ['d2', 3, 2],
      ],
    );
    assert.deepEqual(
      h.rows.map((x) => x.taskId),
      ['open', 'p', 'd2', 'ab', 'd1'],
      'newest first',
    );
    const d2 = h.rows.find((x) => x.taskId === 'd2')!;
    assert.deepEqual([d2.agents, d2.criteriaDone, d2.criteriaTotal, d2.outcome], [['claude-code', 'codex'], 2, 2, 'done']);
    assert.equal(h.rows.find((x) => x.taskId === 'p')!.unpriced, true);
  });
});
