import { evaluate } from './evaluate';
import { MINUTE } from './context';
import { DEFAULT_GUARD_SETTINGS } from './settings';
import { SyntheticSession, type SyntheticCall } from './syntheticSession';
import { RULE_NAMES, type GuardInput, type GuardSettings, type GuardTask, type RuleName, type Verdict } from './types';

/** A session with the rules that should fire on it at its end (`input.now`), and only those. */
export interface LabelledSession {
  readonly name: string;
  readonly description: string;
  readonly expected: readonly RuleName[];
  readonly input: GuardInput;
}

/** One rule's score over a labelled set. */
export interface RuleScore {
  /** Sessions labelled with the rule on which it fired. */
  right: number;
  /** Sessions labelled with the rule on which it stayed silent. */
  missed: number;
  /** Sessions not labelled with the rule on which it fired. */
  false: number;
}

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const AUTO_COMPACT = 155_000;

const read = (path: string): SyntheticCall => ({ name: 'Read', args: { file_path: path } });
const grep = (pattern: string, path = 'src'): SyntheticCall => ({ name: 'Grep', args: { pattern, path } });
const edit = (path: string, n: number): SyntheticCall => ({ name: 'Edit', args: { file_path: path, old_string: `before ${n}`, new_string: `after ${n}` }, writes: true });
const bash = (command: string, error?: string): SyntheticCall => ({ name: 'Bash', args: { command }, error });

const FILES = ['src/api/client.ts', 'src/api/retry.ts', 'src/core/cache.ts', 'src/core/queue.ts', 'src/ui/panel.ts', 'src/ui/list.ts', 'src/util/time.ts', 'src/util/log.ts', 'test/client.test.ts', 'test/queue.test.ts'];

/** Read, edit, test: the rhythm of ordinary work on a feature, with an occasional failing test. */
function workCycle(s: SyntheticSession, round: number): void {
  const file = FILES[(round * 3) % FILES.length];
  s.step(grep(`symbol${round}`)).step(read(file)).step(read(FILES[(round * 3 + 1) % FILES.length]));
  s.step(edit(file, round)).step(edit(file, round + 100));
  s.step(bash('npm test', round % 3 === 0 ? `FAIL test/client.test.ts › case ${round}` : undefined));
  if (round % 3 === 0) s.step(edit(file, round + 200)).step(bash('npm test'));
  // Claude Code compacts on its own near 155k of a 200k window.
  if (s.context > AUTO_COMPACT) s.compact();
}

function input(s: SyntheticSession, extra: Partial<GuardInput> = {}, settings: GuardSettings = DEFAULT_GUARD_SETTINGS): GuardInput {
  return { now: s.now, events: s.events, records: s.records, fileChanges: s.fileChanges, settings, ...extra };
}

function task(s: SyntheticSession, startedAt: number, budget: GuardTask['budget'], openCriteria: number): GuardTask {
  const spentUSD = s.records.reduce((sum, r) => sum + (r.costUSD ?? 0), 0);
  const spentTokens = s.records.reduce((sum, r) => sum + r.totalTokens, 0);
  return { startedAt, budget, openCriteria, spentUSD, spentTokens };
}

/**
 * About a dozen synthetic but realistic sessions, deterministic, each labelled with the rules that
 * should fire at its end. Bench prints `scoreGuard(labelledSessions())`.
 */
export function labelledSessions(settings: GuardSettings = DEFAULT_GUARD_SETTINGS): LabelledSession[] {
  const sessions: LabelledSession[] = [];
  const add = (name: string, description: string, expected: RuleName[], build: () => GuardInput) =>
    sessions.push({ name, description, expected, input: build() });

  add('normal coding session', 'Three prompts over ~10 minutes of read-edit-test, one failing test fixed on the way.', [], () => {
    const s = new SyntheticSession({ sessionId: 'a1000000-normal', start: T0, seed: 1 });
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 0) s.user();
      workCycle(s, round);
    }
    return input(s, { task: task(s, T0, { usd: 20 }, 2) }, settings);
  });

  add('batch edit across 8 files', 'One prompt: rename an import in 8 files, consecutive Edits with different arguments, then tests.', [], () => {
    const s = new SyntheticSession({ sessionId: 'a2000000-batch', start: T0, seed: 2 });
    s.user().step(grep('oldName'));
    for (let i = 0; i < 8; i++) s.step(edit(FILES[i], 1), 4_000);
    s.step(bash('npm test'));
    return input(s, {}, settings);
  });

  add('retries with varying arguments', 'A build fails; the agent tries different commands and fixes, each failing differently, then succeeds.', [], () => {
    const s = new SyntheticSession({ sessionId: 'a3000000-retry', start: T0, seed: 3 });
    s.user();
    s.step(bash('npm run build', "error TS2307: Cannot find module './retry'"));
    s.step(bash('npx tsc --noEmit', "error TS2307: Cannot find module './retry'"));
    s.step(bash('ls src/api', 'ls: cannot access src/api: No such file or directory'));
    s.step(bash('ls src', undefined));
    s.step(bash('npm run build -- --verbose', "error TS2307: Cannot find module './retry'"));
    s.step(edit('src/api/client.ts', 1)).step(bash('npm run build', 'error TS2345: Argument of type string is not assignable'));
    s.step(edit('src/api/client.ts', 2)).step(bash('npm run build'));
    return input(s, {}, settings);
  });

  add('long productive session', 'Three hours, a prompt every ~15 minutes, steady edits, a compaction every ~25 minutes.', [], () => {
    const s = new SyntheticSession({ sessionId: 'a4000000-long', start: T0, seed: 4 });
    for (let round = 0; round < 135; round++) {
      if (round % 6 === 0) s.user();
      workCycle(s, round);
      if (s.context > 155_000) s.compact();
    }
    return input(s, { task: task(s, T0, { usd: 200, minutes: 480 }, 3) }, settings);
  });

  add('polling a long build', 'Codex starts a build and polls it with 7 identical write_stdin calls, as in a real Codex log.', [], () => {
    const s = new SyntheticSession({ sessionId: 'a5000000-poll', start: T0, seed: 5, agent: 'codex', model: 'gpt-5.3-codex', contextWindow: 258_400 });
    s.user().step({ name: 'exec_command', args: { cmd: 'cargo build --release' } });
    for (let i = 0; i < 7; i++) s.step({ name: 'write_stdin', args: { session_id: 7, chars: '' } }, 7_000);
    s.step({ name: 'exec_command', args: { cmd: 'cargo test' } });
    return input(s, {}, settings);
  });

  add('runaway identical calls', 'After some work the agent reads the same file over and over.', ['repeatedToolCycle'], () => {
    const s = new SyntheticSession({ sessionId: 'b1000000-runaway', start: T0, seed: 6 });
    s.user();
    workCycle(s, 0);
    for (let i = 0; i < 8; i++) s.step(read('src/core/cache.ts'));
    return input(s, {}, settings);
  });

  add('ping-pong', 'The agent alternates between the same Read and the same Grep, six rounds.', ['repeatedToolCycle'], () => {
    const s = new SyntheticSession({ sessionId: 'b2000000-pingpong', start: T0, seed: 7 });
    s.user();
    workCycle(s, 1);
    for (let i = 0; i < 6; i++) s.step(read('src/core/queue.ts')).step(grep('drainQueue'));
    return input(s, {}, settings);
  });

  add('error loop', 'The same test keeps failing with the same message; the agent edits differently each time.', ['errorLoop'], () => {
    const s = new SyntheticSession({ sessionId: 'b3000000-errors', start: T0, seed: 8 });
    s.user();
    for (let i = 0; i < 5; i++) s.step(edit('src/core/queue.ts', i)).step(bash('npm test -- queue', 'FAIL test/queue.test.ts › drains in order: expected [1,2,3] got [1,3,2]'));
    return input(s, {}, settings);
  });

  add('idle agent farming tokens', 'One prompt, then 25 minutes of reading and searching different files with no edit.', ['burnWithoutProgress'], () => {
    const s = new SyntheticSession({ sessionId: 'b4000000-farm', start: T0, seed: 9, context: 40_000 });
    s.user();
    for (let i = 0; i < 150; i++) {
      s.step(i % 2 ? read(`src/module${i}.ts`) : grep(`handler${i}`), s.jitter(8_000, 12_000));
      if (s.context > AUTO_COMPACT) s.compact();
    }
    return input(s, {}, settings);
  });

  add('forgotten idle task', 'A task worked for 40 minutes, then left open for 80 minutes with no agent activity.', ['idleTask'], () => {
    const s = new SyntheticSession({ sessionId: 'b5000000-idle', start: T0, seed: 10 });
    for (let round = 0; round < 8; round++) {
      if (round % 3 === 0) s.user();
      workCycle(s, round);
    }
    const t = task(s, T0, { usd: 30 }, 1);
    s.wait(80 * MINUTE);
    return input(s, { task: t }, settings);
  });

  add('budget blowout projection', 'A $5 task has spent most of it and burns ~$0.20 a minute with criteria still open.', ['budgetProjection'], () => {
    const s = new SyntheticSession({ sessionId: 'b6000000-budget', start: T0, seed: 11, context: 90_000 });
    for (let round = 0; round < 10; round++) {
      if (round % 3 === 0) s.user();
      workCycle(s, round);
    }
    return input(s, { task: task(s, T0, { usd: 5 }, 2) }, settings);
  });

  add('velocity spike', 'A steady 18-minute session, then a fan-out of eight parallel subagents multiplies the token rate.', ['velocitySpike'], () => {
    const s = new SyntheticSession({ sessionId: 'b7000000-spike', start: T0, seed: 12, context: 60_000 });
    for (let round = 0; round < 12; round++) {
      if (round % 4 === 0) s.user();
      workCycle(s, round);
    }
    // Eight parallel subagents: each has its own small context, and its usage lands on the parent
    // session (Claude Code logs subagent transcripts under the parent's session id).
    const fanOut = s.now;
    const agents = Array.from({ length: 8 }, (_, i) => new SyntheticSession({ sessionId: s.options.sessionId, start: fanOut + i * 700, seed: 100 + i, context: 18_000, callPrefix: `sub${i}` }));
    for (const agent of agents) while (agent.now < fanOut + 75_000) agent.step(read(`packages/p${agent.jitter(0, 50)}/src/index.ts`), agent.jitter(3_000, 6_000));
    const merged = [s, ...agents];
    const byTime = <T extends { timestamp: number }>(a: T, b: T) => a.timestamp - b.timestamp;
    return input(s, { now: fanOut + 75_000, events: merged.flatMap((x) => x.events).sort(byTime), records: merged.flatMap((x) => x.records).sort(byTime) }, settings);
  });

  add('context runaway', 'Auto-compaction off: big file reads fill the 200k window to over 90%.', ['contextRunaway'], () => {
    const s = new SyntheticSession({ sessionId: 'b8000000-context', start: T0, seed: 13, context: 30_000 });
    s.user();
    for (let i = 0; i < 10; i++) s.step(read(`data/fixtures/large${i}.json`)).step(edit(`src/parse${i}.ts`, i), undefined);
    for (let i = 0; s.context < 184_000; i++) s.step({ ...read(`data/dump${i}.json`), resultTokens: Math.min(25_000, 184_500 - s.context) });
    s.step(edit('src/parse.ts', 99));
    return input(s, {}, settings);
  });

  add('compaction loop', 'Huge tool outputs: the session compacts three times in eight minutes.', ['contextRunaway'], () => {
    const s = new SyntheticSession({ sessionId: 'b9000000-compact', start: T0, seed: 14, context: 40_000 });
    s.user();
    workCycle(s, 2);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) s.step({ ...bash(`cat logs/run${i}${j}.log`), resultTokens: 30_000 }).step(edit('src/log.ts', i * 10 + j));
      s.compact();
    }
    return input(s, {}, settings);
  });

  return sessions;
}

export interface ScoreOptions {
  /** The guard under test (default `evaluate`). */
  readonly run?: (input: GuardInput) => Verdict[];
  /**
   * Also evaluate every this many milliseconds from the session's first event to its end, as the
   * host does on each tick: a rule not in the label that fires at any of those moments counts as
   * false. 0 checks the end only. Default one minute.
   */
  readonly sampleEveryMs?: number;
}

/**
 * Per rule: labelled sessions it caught at their end (right) or did not (missed), and unlabelled
 * sessions it fired on at any sampled moment (false).
 */
export function scoreGuard(sessions: readonly LabelledSession[], options: ScoreOptions = {}): Record<RuleName, RuleScore> {
  const run = options.run ?? evaluate;
  const every = options.sampleEveryMs ?? MINUTE;
  const scores = Object.fromEntries(RULE_NAMES.map((rule) => [rule, { right: 0, missed: 0, false: 0 }])) as Record<RuleName, RuleScore>;
  for (const session of sessions) {
    const atEnd = new Set(run(session.input).map((v) => v.rule));
    const anytime = new Set(atEnd);
    if (every > 0) {
      const start = Math.min(...session.input.events.map((e) => e.timestamp), ...session.input.records.map((r) => r.timestamp));
      for (let t = start; t < session.input.now; t += every) for (const v of run(asOf(session.input, t))) anytime.add(v.rule);
    }
    for (const rule of RULE_NAMES) {
      const expected = session.expected.includes(rule);
      if (expected && atEnd.has(rule)) scores[rule].right++;
      else if (expected) scores[rule].missed++;
      else if (anytime.has(rule)) scores[rule].false++;
    }
  }
  return scores;
}

/** The input as it looked at `t`: the task had not yet spent what its later records cost. */
function asOf(input: GuardInput, t: number): GuardInput {
  if (!input.task) return { ...input, now: t };
  let usd = 0;
  let tokens = 0;
  for (const r of input.records) {
    if (r.timestamp <= t) continue;
    usd += r.costUSD ?? 0;
    tokens += r.totalTokens;
  }
  return { ...input, now: t, task: { ...input.task, spentUSD: input.task.spentUSD - usd, spentTokens: input.task.spentTokens - tokens } };
}
