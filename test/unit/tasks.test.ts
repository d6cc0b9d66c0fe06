import * as assert from 'node:assert/strict';
import { folderSetKey, isInside, normalisePath, taskNumbers, workspaceSpendToday } from '../../src/core/tasks/attribution';
import { startOfDay } from '../../src/core/util/day';
import {
  activeMs,
  editBudget,
  finishTask,
  parseAmount,
  pauseTask,
  resumeTask,
  startTask,
  TaskError,
  taskWindows,
  validateCriterion,
  validateGoal,
  type Task,
} from '../../src/core/tasks/task';
import { input, MIN, numbers, rec, T0, world } from './helpers/tasksFixtures';


describe('task model', () => {
  it('starts an active task with trimmed input and unchecked criteria', () => {
    const task = startTask(input({ goal: '  Add CSV export  ', criteria: [' Export works ', 'Tests pass'] }), T0, 't1');
    assert.equal(task.id, 't1');
    assert.equal(task.goal, 'Add CSV export');
    assert.deepEqual(task.criteria, [
      { text: 'Export works', done: false },
      { text: 'Tests pass', done: false },
    ]);
    assert.equal(task.status, 'active');
    assert.equal(task.createdAt, T0);
    assert.deepEqual(task.pauses, []);
    assert.deepEqual(task.alertsFired, []);
  });

  it('rejects invalid input with a message the user can act on', () => {
    const message = (over: Parameters<typeof input>[0]) => {
      try {
        startTask(input(over), T0);
      } catch (e) {
        assert.ok(e instanceof TaskError);
        return e.message;
      }
      return 'accepted';
    };
    assert.equal(message({ goal: '   ' }), 'Describe the goal in one line.');
    assert.equal(message({ goal: 'line one\nline two' }), 'Keep the goal to one line.');
    assert.equal(message({ goal: 'x'.repeat(201) }), 'Keep the goal under 200 characters.');
    assert.equal(message({ goal: 'x'.repeat(200) }), 'accepted');
    assert.match(message({ criteria: [] }), /at least one done criterion/);
    assert.equal(message({ criteria: Array.from({ length: 21 }, (_, i) => `c${i}`) }), 'Keep it to 20 done criteria or fewer.');
    assert.equal(message({ criteria: Array.from({ length: 20 }, (_, i) => `c${i}`) }), 'accepted');
    assert.equal(message({ criteria: ['a', 'b', '  '] }), 'Criterion 3: A done criterion cannot be empty.');
    assert.equal(message({ budget: {} }), 'Set a budget in dollars, tokens or minutes.');
    assert.equal(message({ budget: { usd: 0 } }), 'The dollar budget must be greater than 0.');
    assert.equal(message({ budget: { tokens: -5 } }), 'The token budget must be greater than 0.');
    assert.equal(message({ budget: { minutes: Number.NaN } }), 'The time budget must be a number.');
    assert.equal(message({ budget: { usd: Infinity } }), 'The dollar budget must be a number.');
    assert.match(message({ workspaceFolders: [] }), /Open a folder first/);
  });

  it('validates input-box text and reads typed amounts', () => {
    assert.equal(validateGoal('Fix the login bug'), undefined);
    assert.equal(validateGoal(''), 'Describe the goal in one line.');
    assert.equal(validateCriterion(' '), 'A done criterion cannot be empty.');
    assert.equal(parseAmount('$5'), 5);
    assert.equal(parseAmount('2.50'), 2.5);
    assert.equal(parseAmount('1,000,000'), 1_000_000);
    assert.equal(parseAmount('200k'), 200_000);
    assert.equal(parseAmount('1.5M'), 1_500_000);
    assert.equal(parseAmount('0'), undefined);
    assert.equal(parseAmount('-3'), undefined);
    assert.equal(parseAmount('five'), undefined);
  });

  it('pauses, resumes and finishes with the clock it is given', () => {
    let task = startTask(input(), T0, 't');
    task = pauseTask(task, T0 + 10 * MIN);
    assert.equal(task.status, 'paused');
    assert.equal(pauseTask(task, T0 + 11 * MIN), task, 'a second pause (another window) changes nothing');
    task = resumeTask(task, T0 + 20 * MIN);
    assert.equal(task.status, 'active');
    assert.deepEqual(task.pauses, [{ from: T0 + 10 * MIN, to: T0 + 20 * MIN }]);
    task = pauseTask(task, T0 + 25 * MIN);
    const frozen = numbers({ activeMs: 15 * MIN });
    const done = finishTask(task, 'partly', [true, false], frozen, T0 + 40 * MIN);
    assert.equal(done.status, 'finished');
    assert.equal(done.endedAt, T0 + 40 * MIN);
    assert.equal(done.outcome, 'partly');
    assert.deepEqual(done.pauses[1], { from: T0 + 25 * MIN, to: T0 + 40 * MIN }, 'finishing closes the open pause');
    assert.deepEqual(
      done.criteria.map((c) => c.done),
      [true, false],
    );
    assert.equal(done.final, frozen);
    assert.equal(activeMs(done, T0 + 999 * MIN), 15 * MIN, '10 + 5 active minutes, frozen at the end');
    assert.throws(() => finishTask(done, 'done', [true, true], frozen, T0 + 50 * MIN), /already finished/);
    assert.throws(() => pauseTask(done, T0 + 50 * MIN), TaskError);
    assert.throws(() => resumeTask(done, T0 + 50 * MIN), TaskError);
    assert.throws(() => finishTask(task, 'done', [true], frozen, T0), /Expected 2 criteria answers, got 1/);
  });

  it('re-arms only the alerts the task is no longer past when the budget changes', () => {
    const task: Task = { ...startTask(input(), T0, 't'), alertsFired: [50, 80] };
    // $4.50 of $5 fired 50% and 80%; at $10 it is 45%: 80% must be able to fire again, 50% too.
    assert.deepEqual(editBudget(task, { usd: 10 }, 0.45).alertsFired, []);
    assert.deepEqual(editBudget(task, { usd: 8 }, 0.5625).alertsFired, [50]);
    assert.deepEqual(editBudget(task, { usd: 10 }).alertsFired, [50, 80], 'without a fraction nothing changes');
    assert.deepEqual(editBudget(task, { tokens: 1000 }).budget, { tokens: 1000 });
    assert.throws(() => editBudget(task, { usd: -1 }), /greater than 0/);
  });

  it('computes active windows minus pauses, open pauses running to infinity', () => {
    let task = startTask(input(), T0, 't');
    assert.deepEqual(taskWindows(task), [[T0, Infinity]]);
    task = pauseTask(task, T0 + 10 * MIN);
    assert.deepEqual(taskWindows(task), [[T0, T0 + 10 * MIN]]);
    assert.equal(activeMs(task, T0 + 60 * MIN), 10 * MIN);
    task = resumeTask(task, T0 + 20 * MIN);
    assert.deepEqual(taskWindows(task), [
      [T0, T0 + 10 * MIN],
      [T0 + 20 * MIN, Infinity],
    ]);
    assert.equal(activeMs(task, T0 + 30 * MIN), 20 * MIN);
  });
});

describe('task attribution: which sessions', () => {
  it('counts sessions in the folder and nested folders, not a similarly-prefixed sibling or the parent', () => {
    const task = startTask(input({ workspaceFolders: ['/work/app/'] }), T0, 't');
    const w = world([
      { id: 'root', cwd: '/work/app', records: [rec('root', T0 + MIN, 1)] },
      { id: 'nested', cwd: '/work/app/packages/web', records: [rec('nested', T0 + MIN, 2)] },
      { id: 'sibling', cwd: '/work/app2', records: [rec('sibling', T0 + MIN, 4)] },
      { id: 'parent', cwd: '/work', records: [rec('parent', T0 + MIN, 8)] },
      { id: 'nocwd', cwd: undefined, records: [rec('nocwd', T0 + MIN, 16)] },
      { id: 'dotdot', cwd: '/work/app/../app2/src', records: [rec('dotdot', T0 + MIN, 32)] },
    ]);
    const n = taskNumbers(task, w.sessions, w.recordsOf, T0 + 5 * MIN, { platform: 'linux' });
    assert.equal(n.inputTokens, 1 + 2);
    assert.deepEqual(
      n.sessions.map((s) => s.sessionId),
      ['nested', 'root'],
    );
  });

  it('ignores case on Windows (and macOS) only', () => {
    assert.ok(isInside('C:\\Work\\App\\src', 'c:\\work\\app\\', 'win32'), 'VS Code lower-cases the drive letter');
    assert.ok(isInside('C:/work/app/src', 'C:\\work\\app', 'win32'), 'forward slashes on Windows');
    assert.ok(!isInside('C:\\work\\app2', 'C:\\work\\app', 'win32'));
    assert.ok(isInside('/Users/Me/App/src', '/users/me/app', 'darwin'));
    assert.ok(!isInside('/Work/App/src', '/work/app', 'linux'));
    assert.ok(isInside('/work/app', '/', 'linux'), 'everything is inside the root');
    assert.equal(normalisePath('/work/app///', 'linux'), '/work/app');
    assert.equal(normalisePath('C:\\Work\\', 'win32'), 'c:\\work');
    assert.equal(folderSetKey(['/b', '/a/'], 'linux'), folderSetKey(['/a', '/b', '/b'], 'linux'));
    assert.notEqual(folderSetKey(['/A'], 'linux'), folderSetKey(['/a'], 'linux'));

    const task = startTask(input({ workspaceFolders: ['c:\\work\\app'] }), T0, 't');
    const w = world([{ id: 's', cwd: 'C:\\Work\\App', records: [rec('s', T0 + MIN, 7)] }]);
    assert.equal(taskNumbers(task, w.sessions, w.recordsOf, T0 + 2 * MIN, { platform: 'win32' }).inputTokens, 7);
    const posix = startTask(input({ workspaceFolders: ['/work/App'] }), T0, 't');
    const wp = world([{ id: 's', cwd: '/work/app', records: [rec('s', T0 + MIN, 7)] }]);
    assert.equal(taskNumbers(posix, wp.sessions, wp.recordsOf, T0 + 2 * MIN, { platform: 'linux' }).inputTokens, 0);
  });

  it('counts every folder of a multi-root workspace', () => {
    const task = startTask(input({ workspaceFolders: ['/work/api', '/work/web'] }), T0, 't');
    const w = world([
      { id: 'api', cwd: '/work/api', records: [rec('api', T0 + MIN, 10)] },
      { id: 'web', cwd: '/work/web/src', agent: 'codex', records: [rec('web', T0 + MIN, 20, { agent: 'codex' })] },
      { id: 'docs', cwd: '/work/docs', records: [rec('docs', T0 + MIN, 40)] },
    ]);
    const n = taskNumbers(task, w.sessions, w.recordsOf, T0 + 2 * MIN, { platform: 'linux' });
    assert.equal(n.inputTokens, 30);
    assert.deepEqual(
      n.sessions.map((s) => `${s.agent}:${s.sessionId}`),
      ['claude-code:api', 'codex:web'],
    );
  });
});

describe('task attribution: which records', () => {
  // Powers of two: the sum names exactly which records were counted.
  const at = [T0 - 1, T0, T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN, T0 + 20 * MIN, T0 + 30 * MIN - 1, T0 + 30 * MIN];
  const records = at.map((t, i) => rec('s', t, 2 ** i, { cost: 0.01 * 2 ** i }));
  const w = world([{ id: 's', cwd: '/work/app', records }]);

  it('splits a session at the start, the end and around a pause, by record timestamp', () => {
    let task = startTask(input(), T0, 't');
    task = resumeTask(pauseTask(task, T0 + 10 * MIN), T0 + 20 * MIN);
    task = finishTask(task, 'done', [true, true], numbers(), T0 + 30 * MIN);
    const n = taskNumbers(task, w.sessions, w.recordsOf, T0 + 60 * MIN, { platform: 'linux' });
    // In: T0 (2), +5m (4), +20m resume instant (32), end-1ms (64). Out: before start, pause instant, paused, end instant.
    assert.equal(n.inputTokens, 2 + 4 + 32 + 64);
    assert.equal(n.requests, 4);
    assert.equal(n.costUSD?.toFixed(2), '1.02');
    assert.equal(n.firstActivity, T0);
    assert.equal(n.lastActivity, T0 + 30 * MIN - 1);
    assert.equal(n.sessions[0].firstActivity, T0);
    assert.equal(n.sessions[0].totals.inputTokens, 102);
    assert.equal(n.activeMs, 20 * MIN);
  });

  it('counts nothing after an open pause and everything after the start of an open task', () => {
    const paused = pauseTask(startTask(input(), T0 + 5 * MIN, 't'), T0 + 15 * MIN);
    const n = taskNumbers(paused, w.sessions, w.recordsOf, T0 + 60 * MIN, { platform: 'linux' });
    assert.equal(n.inputTokens, 4 + 8, '+5m and +10m; +15m is the pause instant');
    assert.equal(n.activeMs, 10 * MIN);
    const open = startTask(input(), T0 + 20 * MIN, 't');
    assert.equal(taskNumbers(open, w.sessions, w.recordsOf, T0 + 25 * MIN, { platform: 'linux' }).inputTokens, 32 + 64 + 128);
  });

  it('splits by model, and keeps dollars null when nothing is priced', () => {
    const task = startTask(input(), T0, 't');
    const mixed = world([
      {
        id: 'm',
        cwd: '/work/app',
        records: [
          rec('m', T0 + 1, 100, { cost: 0.3, model: 'claude-opus-4-5' }),
          rec('m', T0 + 2, 50, { cost: 0.05 }),
          rec('m', T0 + 3, 70, { cost: null, model: 'mystery-1' }),
        ],
      },
    ]);
    const n = taskNumbers(task, mixed.sessions, mixed.recordsOf, T0 + MIN, { platform: 'linux' });
    assert.equal(n.costUSD, 0.35);
    assert.deepEqual(
      n.byModel.map((m) => [m.model, m.inputTokens, m.priced]),
      [
        ['claude-opus-4-5', 100, true],
        ['claude-sonnet-4-5', 50, true],
        ['mystery-1', 70, false],
      ],
    );
    assert.deepEqual(n.unpricedModels, ['mystery-1']);
    const unpriced = world([{ id: 'u', cwd: '/work/app', records: [rec('u', T0 + 1, 9, { cost: null })] }]);
    const u = taskNumbers(task, unpriced.sessions, unpriced.recordsOf, T0 + MIN, { platform: 'linux' });
    assert.equal(u.costUSD, null);
    assert.equal(u.requests, 1);
    const none = taskNumbers(task, [], () => [], T0 + MIN, { platform: 'linux' });
    assert.equal(none.firstActivity, undefined);
    assert.equal(none.requests, 0);
  });
});

describe('workspace spend today', () => {
  it('counts the local calendar day of the given offset', () => {
    const now = Date.UTC(2026, 0, 5, 1, 0); // 03:00 on Jan 5 at UTC+2, 20:00 on Jan 4 at UTC-5
    assert.equal(startOfDay(now, 120), Date.UTC(2026, 0, 4, 22, 0));
    assert.equal(startOfDay(now, -300), Date.UTC(2026, 0, 4, 5, 0));
    const w = world([
      {
        id: 's',
        cwd: '/work/app/src',
        records: [
          rec('s', Date.UTC(2026, 0, 4, 4, 59), 1),
          rec('s', Date.UTC(2026, 0, 4, 5, 0), 2),
          rec('s', Date.UTC(2026, 0, 4, 21, 59), 4),
          rec('s', Date.UTC(2026, 0, 4, 22, 0), 8),
          rec('s', Date.UTC(2026, 0, 5, 0, 30), 16),
        ],
      },
      { id: 'other', cwd: '/elsewhere', records: [rec('other', Date.UTC(2026, 0, 5, 0, 30), 32)] },
    ]);
    const east = workspaceSpendToday(['/work/app'], w.sessions, w.recordsOf, now, { platform: 'linux', utcOffsetMinutes: 120 });
    assert.equal(east.inputTokens, 8 + 16);
    assert.equal(east.dayStart, Date.UTC(2026, 0, 4, 22, 0));
    const west = workspaceSpendToday(['/work/app'], w.sessions, w.recordsOf, now, { platform: 'linux', utcOffsetMinutes: -300 });
    assert.equal(west.inputTokens, 2 + 4 + 8 + 16);
  });

  it('uses the process time zone when no offset is given', () => {
    const now = T0 + 3 * MIN;
    const start = new Date(now);
    start.setHours(0, 0, 0, 0);
    assert.equal(startOfDay(now), start.getTime());
  });
});
