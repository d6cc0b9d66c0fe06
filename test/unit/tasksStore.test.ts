import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addFlag, muteRule, type TaskNumbers } from '../../src/core/tasks/task';
import { OpenTaskExistsError, readTasksReadOnly, TaskNotFoundError, TaskStore, TaskStoreReadOnlyError, type StoreProblem, type TaskStoreOptions } from '../../src/core/tasks/taskStore';
import { input, MIN, T0 } from './helpers/tasksFixtures';

const final: TaskNumbers = {
  inputTokens: 10,
  outputTokens: 5,
  cacheCreationTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens: 15,
  costUSD: 0.12,
  requests: 1,
  byModel: [],
  sessions: [],
  unpricedModels: [],
  firstActivity: T0 + MIN,
  lastActivity: T0 + MIN,
  activeMs: 5 * MIN,
};

describe('task store', () => {
  let dir: string;
  let file: string;
  let clock: number;
  let ids: number;
  const store = (o: TaskStoreOptions = {}) => new TaskStore(file, { now: () => clock, newId: () => `task-${++ids}`, platform: 'linux', ...o });
  const onDisk = () => JSON.parse(fs.readFileSync(file, 'utf8'));
  const task = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    workspaceFolders: ['/work/app'],
    goal: `goal ${id}`,
    criteria: [{ text: 'works', done: false }],
    budget: { usd: 5 },
    createdAt: T0,
    status: 'finished',
    endedAt: T0 + MIN,
    outcome: 'done',
    pauses: [],
    alertsFired: [],
    flags: [],
    mutedRules: [],
    ...over,
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-tasks-'));
    file = path.join(dir, 'tasks.json');
    clock = T0;
    ids = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts empty without a file, and creates none by reading', () => {
    const s = store();
    assert.deepEqual(s.reload(), { tasks: [], problems: [] });
    assert.equal(s.readOnly, false);
    assert.equal(s.path, file);
    assert.equal(fs.existsSync(file), false);
  });

  it('round-trips a task through its whole life', () => {
    const a = store();
    const started = a.start(input());
    clock += 10 * MIN;
    a.pause(started.id);
    clock += 5 * MIN;
    a.resume(started.id);
    a.update(started.id, (t) => muteRule(addFlag(t, { rule: 'loop', severity: 'warning', at: clock, message: 'same call 5x', evidence: [{ tool: 'Bash' }] }), 'idle'));
    clock += 5 * MIN;
    const done = a.finish(started.id, 'done', [true, true], final);
    assert.equal(onDisk().version, 1);
    const b = store();
    assert.deepEqual(b.tasks, [done]);
    assert.deepEqual(b.get(started.id)?.pauses, [{ from: T0 + 10 * MIN, to: T0 + 15 * MIN }]);
    assert.deepEqual(b.get(started.id)?.final, final);
    assert.equal(b.get(started.id)?.flags[0].message, 'same call 5x');
    assert.deepEqual(b.get(started.id)?.mutedRules, ['idle']);
  });

  it('a read-only reader (the CLI) gets the valid tasks and never moves, rewrites or creates a file', () => {
    assert.deepEqual(readTasksReadOnly(file), []);
    fs.writeFileSync(file, JSON.stringify({ version: 1, tasks: [task('a'), { id: 'broken' }, task('b', { status: 'active', endedAt: undefined, outcome: undefined })] }));
    const before = fs.readFileSync(file, 'utf8');
    assert.deepEqual(readTasksReadOnly(file).map((t) => t.id), ['a', 'b']);
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the invalid task stays in the file');
    fs.writeFileSync(file, '{ not json');
    assert.deepEqual(readTasksReadOnly(file), []);
    fs.writeFileSync(file, JSON.stringify({ version: 99, tasks: [task('c')] }));
    assert.deepEqual(readTasksReadOnly(file), []);
    assert.deepEqual(fs.readdirSync(dir), ['tasks.json'], 'nothing set aside');
  });

  it('keeps a corrupt file aside, says where, and starts with an empty list', () => {
    fs.writeFileSync(file, '{"version": 1, "tasks": [ {"id": "half-writ');
    const problems: StoreProblem[] = [];
    const s = store({ onProblem: (p) => problems.push(p) });
    const result = s.reload();
    assert.deepEqual(result.tasks, []);
    assert.equal(result.problems.length, 1);
    const [p] = result.problems;
    assert.equal(p.kind, 'corrupt');
    assert.equal(p.keptAt, path.join(dir, 'tasks.corrupt-2026-01-05T09-00-00-000Z.json'));
    assert.equal(p.message, `Agent Meter: the task store was unreadable and was kept at ${p.keptAt}; starting with an empty list.`);
    assert.deepEqual(problems, [p], 'the host is told too');
    assert.equal(fs.readFileSync(p.keptAt!, 'utf8'), '{"version": 1, "tasks": [ {"id": "half-writ', 'kept byte for byte');
    assert.equal(s.readOnly, false);
    s.start(input());
    assert.equal(onDisk().tasks.length, 1);
    // A second corrupt file in the same millisecond does not overwrite the first one kept aside.
    fs.writeFileSync(file, 'garbage');
    const again = store().reload().problems[0];
    assert.equal(again.keptAt, path.join(dir, 'tasks.corrupt-2026-01-05T09-00-00-000Z-2.json'));
    assert.equal(fs.readFileSync(p.keptAt!, 'utf8'), '{"version": 1, "tasks": [ {"id": "half-writ');
    assert.equal(fs.readFileSync(again.keptAt!, 'utf8'), 'garbage');
  });

  it('treats a file of the wrong shape as corrupt', () => {
    for (const content of ['[]', '{"version":1,"tasks":{}}', '{"tasks":[]}', '{"version":0,"tasks":[]}', '']) {
      fs.writeFileSync(file, content);
      const [p] = store().reload().problems;
      assert.equal(p?.kind, 'corrupt', content);
      assert.equal(fs.existsSync(file), false);
      clock += 1;
    }
  });

  it('keeps every valid task when only some are invalid, and sets the bad ones aside', () => {
    const bad = task('bad', { budget: { usd: -1 } });
    fs.writeFileSync(file, JSON.stringify({ version: 1, tasks: [task('a'), bad, task('b'), task('a', { goal: 'dup' })] }));
    const s = store();
    const result = s.reload();
    assert.deepEqual(
      result.tasks.map((t) => t.id),
      ['a', 'b'],
    );
    assert.equal(result.problems.length, 1);
    const [p] = result.problems;
    assert.equal(p.kind, 'invalidTasks');
    assert.equal(p.message, `Agent Meter: 2 tasks in the task store were invalid and were kept at ${p.keptAt}; the other tasks are unaffected.`);
    const aside = JSON.parse(fs.readFileSync(p.keptAt!, 'utf8'));
    assert.deepEqual(aside.tasks, [bad, task('a', { goal: 'dup' })]);
    assert.match(aside.problems[0], /^budget/);
    assert.equal(aside.problems[1], 'duplicate id a');
    assert.deepEqual(
      onDisk().tasks.map((t: { id: string }) => t.id),
      ['a', 'b'],
      'the store is rewritten without them',
    );
    assert.deepEqual(store().reload().problems, [], 'and not set aside twice');
  });

  it('leaves a newer format untouched and goes read-only', () => {
    const content = JSON.stringify({ version: 2, tasks: [{ id: 'x', shape: 'unknown' }] });
    fs.writeFileSync(file, content);
    const told: StoreProblem[] = [];
    const s = store({ onProblem: (x) => told.push(x) });
    const [p] = s.reload().problems;
    assert.equal(p.kind, 'newerVersion');
    s.reload();
    assert.equal(told.length, 1, 'told once, not on every reload');
    assert.match(p.message, /written by a newer Agent Meter/);
    assert.equal(s.readOnly, true);
    assert.equal(s.readOnlyMessage, p.message);
    assert.throws(() => s.start(input()), TaskStoreReadOnlyError);
    assert.equal(fs.readFileSync(file, 'utf8'), content);
    assert.deepEqual(fs.readdirSync(dir), ['tasks.json'], 'nothing moved aside');
    fs.writeFileSync(file, JSON.stringify({ version: 1, tasks: [] }));
    s.reload();
    assert.equal(s.readOnly, false, 'writable again once the file is a format it understands');
    s.start(input());
  });

  it('allows one open task per folder set and names it when refusing another', () => {
    const s = store();
    const first = s.start(input({ workspaceFolders: ['/work/app', '/work/lib'] }));
    assert.throws(
      () => s.start(input({ workspaceFolders: ['/work/lib/', '/work/app'] })),
      (e: unknown) => e instanceof OpenTaskExistsError && e.open.id === first.id && /already active/.test(e.message),
    );
    assert.equal(s.openTask(['/work/lib', '/work/app'])?.id, first.id);
    s.start(input({ workspaceFolders: ['/work/app'] }));
    s.finish(first.id, 'abandoned', [false, false], final);
    assert.equal(s.openTask(['/work/app', '/work/lib']), undefined);
    s.start(input({ workspaceFolders: ['/work/app', '/work/lib'] }));
    assert.equal(s.tasks.length, 3);
  });

  it('keeps both windows changes when two stores write the same file', () => {
    const a = store();
    const b = store();
    assert.equal(a.tasks.length + b.tasks.length, 0);
    const x = a.start(input({ workspaceFolders: ['/work/x'] }));
    const y = b.start(input({ workspaceFolders: ['/work/y'] }));
    assert.deepEqual(
      onDisk().tasks.map((t: { id: string }) => t.id),
      [x.id, y.id],
    );
    clock += MIN;
    a.pause(x.id);
    b.editBudget(y.id, { tokens: 5000 });
    b.update(x.id, (t) => muteRule(t, 'idle'));
    const fresh = store();
    assert.equal(fresh.get(x.id)?.status, 'paused');
    assert.deepEqual(fresh.get(x.id)?.mutedRules, ['idle']);
    assert.deepEqual(fresh.get(y.id)?.budget, { tokens: 5000 });
    assert.throws(() => b.start(input({ workspaceFolders: ['/work/x'] })), OpenTaskExistsError, 'b sees a\'s task without reloading');
    assert.deepEqual(a.claimAlerts(y.id, [50, 80]), [50, 80]);
    assert.deepEqual(b.claimAlerts(y.id, [80, 100]), [100], 'the other window already told the user about 80%');
    assert.deepEqual(store().get(y.id)?.alertsFired, [50, 80, 100]);
    b.remove(x.id);
    assert.throws(() => a.pause(x.id), TaskNotFoundError);
    assert.deepEqual(fs.readdirSync(dir), ['tasks.json'], 'atomic writes leave no temporary files');
  });

  it('keeps fields it does not know when it rewrites a task', () => {
    fs.writeFileSync(file, JSON.stringify({ version: 1, note: 'from a later release', tasks: [task('a', { status: 'active', endedAt: undefined, outcome: undefined, colour: 'teal' })] }));
    const s = store();
    s.pause('a');
    const disk = onDisk();
    assert.equal(disk.note, 'from a later release');
    assert.equal(disk.tasks[0].colour, 'teal');
    assert.equal(disk.tasks[0].status, 'paused');
  });
});
