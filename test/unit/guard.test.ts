import * as assert from 'node:assert/strict';
import { EpisodeTracker, toastsFlag } from '../../src/core/guard/episodes';
import { evaluate } from '../../src/core/guard/evaluate';
import { labelledSessions, scoreGuard } from '../../src/core/guard/labelledSessions';
import { guardSettings } from '../../src/core/guard/settings';
import { RULE_NAMES, type GuardInput, type RuleName, type Verdict } from '../../src/core/guard/types';
import { call, compaction, context, guardInput, min, record, sameCalls, sec, toolError, userTurn } from './helpers/guardFixtures';

const fired = (input: GuardInput, rule: RuleName): Verdict[] => evaluate(input).filter((v) => v.rule === rule);
const only = (rule: RuleName) => guardSettings({ enabled: [rule] });
/** Tokens spread as one request every 10 s between two minutes, so rules that look at rates see a rate. */
function steady(fromMin: number, toMin: number, tokensPerMinute: number, usdPerMinute = tokensPerMinute * 0.3e-6, session = 's1') {
  const out = [];
  for (let t = min(fromMin) + 10_000; t <= min(toMin); t += 10_000) out.push(record(t, tokensPerMinute / 6, usdPerMinute / 6, { session }));
  return out;
}

describe('guard: repeatedToolCycle', () => {
  const settings = only('repeatedToolCycle');

  it('fires on five identical calls in a row, with the calls as evidence and a sentence', () => {
    const events = [userTurn(sec(0)), call(sec(5), 'Grep', 'h-grep'), ...sameCalls(5, 10)];
    const [v, ...rest] = fired(guardInput(sec(60), { events, records: [record(sec(20), 50_000, 0.02)], settings }), 'repeatedToolCycle');
    assert.equal(rest.length, 0);
    assert.equal(v.severity, 'warning');
    assert.deepEqual(v.evidence.events, events.slice(2));
    assert.equal(v.evidence.records.length, 1);
    assert.match(v.message, /called Read with identical arguments 5 times in a row/);
    assert.match(v.message, /\$0\.02/);
  });

  it('stays silent at four identical calls', () => {
    assert.deepEqual(fired(guardInput(sec(60), { events: sameCalls(4, 0), settings }), 'repeatedToolCycle'), []);
  });

  it('fires on an ABAB ping-pong and keeps one episode key whichever call came last', () => {
    const pingPong = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? call(sec(i * 10), 'Grep', 'h-g') : call(sec(i * 10), 'Read', 'h-r')));
    const ten = fired(guardInput(sec(200), { events: pingPong(10), settings }), 'repeatedToolCycle');
    const eleven = fired(guardInput(sec(200), { events: pingPong(11), settings }), 'repeatedToolCycle');
    assert.equal(ten.length, 1);
    assert.match(ten[0].message, /same 2 tool calls \(Read → Grep\) with identical arguments 5 times/);
    assert.equal(eleven[0].episodeKey, ten[0].episodeKey);
    assert.deepEqual(fired(guardInput(sec(200), { events: pingPong(9), settings }), 'repeatedToolCycle'), []);
  });

  it('stays silent on a batch of edits across eight files', () => {
    const events = Array.from({ length: 8 }, (_, i) => call(sec(i * 5), 'Edit', `h-file${i}`));
    assert.deepEqual(fired(guardInput(sec(60), { events, settings }), 'repeatedToolCycle'), []);
  });

  it('stays silent when different calls interleave (the cycle must be consecutive)', () => {
    const events = [...sameCalls(4, 0), call(sec(45), 'Edit', 'h-e'), ...sameCalls(4, 50)];
    assert.deepEqual(fired(guardInput(sec(100), { events, settings }), 'repeatedToolCycle'), []);
  });

  it('stays silent while an agent polls a background process', () => {
    const events = [call(sec(0), 'exec_command', 'h-build', { agent: 'codex' }), ...Array.from({ length: 7 }, (_, i) => call(sec(7 + 7 * i), 'write_stdin', 'h-poll', { agent: 'codex' }))];
    assert.deepEqual(fired(guardInput(sec(60), { events, settings }), 'repeatedToolCycle'), []);
  });

  it('restarts counting at a user turn', () => {
    const events = [...sameCalls(3, 0), userTurn(sec(35)), ...sameCalls(3, 40)];
    assert.deepEqual(fired(guardInput(sec(80), { events, settings }), 'repeatedToolCycle'), []);
  });

  it('counts a call written twice (same call id) once', () => {
    const calls = sameCalls(3, 0);
    assert.deepEqual(fired(guardInput(sec(60), { events: [...calls, ...calls].sort((a, b) => a.timestamp - b.timestamp), settings }), 'repeatedToolCycle'), []);
  });

  it('goes quiet once the loop is older than staleAfterMinutes', () => {
    assert.equal(fired(guardInput(min(29), { events: sameCalls(5, 0), settings }), 'repeatedToolCycle').length, 1);
    assert.deepEqual(fired(guardInput(min(31), { events: sameCalls(5, 0), settings }), 'repeatedToolCycle'), []);
  });
});

describe('guard: errorLoop', () => {
  const settings = only('errorLoop');
  const failures = (n: number, gapS: number, hash = (_: number) => 'err-a') =>
    Array.from({ length: n }, (_, i) => [call(sec(i * gapS), 'Bash', `h-cmd${i}`, { callId: `x${i}` }), toolError(sec(i * gapS + 2), 'Bash', hash(i), { callId: `x${i}` })]).flat();

  it('fires on the same error four times within ten minutes, even with varying arguments', () => {
    const events = failures(4, 60);
    const [v] = fired(guardInput(min(5), { events, settings }), 'errorLoop');
    assert.ok(v);
    assert.equal(v.evidence.events.length, 8, 'the four failing calls and their four errors');
    assert.match(v.message, /Bash tool has failed with the same error 4 times in the last 10 minutes/);
  });

  it('stays silent at three, when spread over more than the window, or when the errors differ', () => {
    assert.deepEqual(fired(guardInput(min(5), { events: failures(3, 60), settings }), 'errorLoop'), []);
    assert.deepEqual(fired(guardInput(min(16), { events: failures(4, 240), settings }), 'errorLoop'), []);
    assert.deepEqual(fired(guardInput(min(5), { events: failures(6, 40, (i) => `err-${i % 3}`), settings }), 'errorLoop'), []);
  });
});

describe('guard: burnWithoutProgress', () => {
  const settings = only('burnWithoutProgress');
  const records = steady(0, 20, 400_000, 0.3);

  it('fires when agents spend for 15 minutes with no file change and no user turn', () => {
    const [v] = fired(guardInput(min(20), { events: [userTurn(min(0))], records, settings }), 'burnWithoutProgress');
    assert.ok(v);
    assert.equal(v.evidence.records.length, 90, 'the last 15 minutes of requests');
    assert.match(v.message, /6M tokens \(\$4\.50\) in the last 15 minutes.*for 20 minutes/);
  });

  it('stays silent after a recent file change or user turn, or when spending little', () => {
    assert.deepEqual(fired(guardInput(min(20), { events: [userTurn(min(0))], records, fileChanges: [min(10)], settings }), 'burnWithoutProgress'), []);
    assert.deepEqual(fired(guardInput(min(20), { events: [userTurn(min(0)), userTurn(min(12))], records, settings }), 'burnWithoutProgress'), []);
    assert.deepEqual(fired(guardInput(min(20), { events: [userTurn(min(0))], records: steady(0, 20, 100_000, 0.1), settings }), 'burnWithoutProgress'), []);
  });

  it('stops once the spending stops, and starts a new episode after progress', () => {
    const first = fired(guardInput(min(20), { events: [userTurn(min(0))], records, settings }), 'burnWithoutProgress');
    assert.deepEqual(fired(guardInput(min(36), { events: [userTurn(min(0))], records, settings }), 'burnWithoutProgress'), []);
    const later = steady(20, 45, 400_000, 0.3);
    const second = fired(guardInput(min(45), { events: [userTurn(min(0))], records: [...records, ...later], fileChanges: [min(22)], settings }), 'burnWithoutProgress');
    assert.notEqual(second[0].episodeKey, first[0].episodeKey);
  });
});

describe('guard: idleTask', () => {
  const settings = only('idleTask');
  const task = { startedAt: min(0), budget: {}, openCriteria: 2, spentUSD: 1, spentTokens: 1e6 };

  it('fires when no agent has written for 30 minutes, with the last activity as evidence', () => {
    const events = [userTurn(min(1)), call(min(10), 'Edit', 'h')];
    const records = [record(min(9), 1000)];
    const [v] = fired(guardInput(min(41), { events, records, task, settings }), 'idleTask');
    assert.ok(v);
    assert.deepEqual(v.evidence.events, [events[1]]);
    assert.deepEqual(v.evidence.records, records);
    assert.match(v.message, /2 done criteria left, but no agent has written anything for 31 minutes; finish it or pause it/);
    assert.deepEqual(fired(guardInput(min(39), { events, records, task, settings }), 'idleTask'), []);
  });

  it('says to finish when every criterion is met, and needs a task', () => {
    const [v] = fired(guardInput(min(45), { task: { ...task, openCriteria: 0 }, settings }), 'idleTask');
    assert.match(v.message, /Every done criterion of this task is met and no agent has started on it in 45 minutes; finish the task\./);
    assert.deepEqual(fired(guardInput(min(45), { settings }), 'idleTask'), []);
  });
});

describe('guard: budgetProjection', () => {
  const settings = only('budgetProjection');
  const records = steady(0, 20, 500_000, 0.5);
  const task = (spentUSD: number, openCriteria = 2) => ({ startedAt: min(0), budget: { usd: 15 }, openCriteria, spentUSD, spentTokens: 1e7 });

  it('warns when the budget runs out in under 15 minutes at the current rate', () => {
    const [v] = fired(guardInput(min(20), { records, task: task(10), settings }), 'budgetProjection');
    assert.equal(v.severity, 'warning');
    assert.equal(v.evidence.records.length, 60, 'the last 10 minutes of requests');
    assert.match(v.message, /\(\$0\.50 a minute\), this task's \$15\.00 budget runs out in about 10 minutes, with 2 done criteria still open/);
    assert.deepEqual(fired(guardInput(min(20), { records, task: task(5), settings }), 'budgetProjection'), []);
  });

  it('says "in less than a minute" and "the last minute" as a person would', () => {
    // A task a minute old, $0.50 a minute, $0.10 left: the rate is of the last minute.
    const young = { startedAt: min(19), budget: { usd: 15 }, openCriteria: 1, spentUSD: 14.9, spentTokens: 1e6 };
    const [v] = fired(guardInput(min(20), { records, task: young, settings }), 'budgetProjection');
    assert.equal(v.message, "At the rate of the last minute ($0.50 a minute), this task's $15.00 budget runs out in less than a minute, with 1 done criterion still open.");
  });

  it('is an error once the budget is spent, a new episode', () => {
    const [projected] = fired(guardInput(min(20), { records, task: task(10), settings }), 'budgetProjection');
    const [over] = fired(guardInput(min(20), { records, task: task(16), settings }), 'budgetProjection');
    assert.equal(over.severity, 'error');
    assert.match(over.message, /used \$16\.00 of its \$15\.00 budget/);
    assert.notEqual(over.episodeKey, projected.episodeKey);
  });

  it('stays silent with every criterion met or with no agent spending', () => {
    assert.deepEqual(fired(guardInput(min(20), { records, task: task(14, 0), settings }), 'budgetProjection'), []);
    assert.deepEqual(fired(guardInput(min(40), { records, task: task(14), settings }), 'budgetProjection'), []);
  });

  it('projects token and time budgets too', () => {
    const tokens = { startedAt: min(0), budget: { tokens: 12e6 }, openCriteria: 1, spentUSD: 0, spentTokens: 10e6 };
    assert.match(fired(guardInput(min(20), { records, task: tokens, settings }), 'budgetProjection')[0].message, /12M token budget runs out in about 4 minutes/);
    const time = { startedAt: min(0), budget: { minutes: 30 }, openCriteria: 1, spentUSD: 0, spentTokens: 0 };
    assert.match(fired(guardInput(min(20), { records, task: time, settings }), 'budgetProjection')[0].message, /^This task's time budget of 30 minutes runs out in about 10 minutes, with 1 done criterion still open\.$/);
  });
});

describe('guard: velocitySpike', () => {
  const settings = only('velocitySpike');

  it('fires when the last minute is over 5 times the median active minute', () => {
    const records = [...steady(0, 12, 300_000), ...steady(12, 13, 1_800_000)];
    const [v] = fired(guardInput(min(13), { records, settings }), 'velocitySpike');
    assert.ok(v);
    assert.equal(v.evidence.records.length, 6);
    assert.match(v.message, /used 1\.8M tokens in the last minute, 6\.0 times its usual 300k a minute/);
  });

  it('stays silent below 5x, below 500k tokens, or with under 10 active minutes of history', () => {
    assert.deepEqual(fired(guardInput(min(13), { records: [...steady(0, 12, 300_000), ...steady(12, 13, 1_400_000)], settings }), 'velocitySpike'), []);
    assert.deepEqual(fired(guardInput(min(13), { records: [...steady(0, 12, 50_000), ...steady(12, 13, 450_000)], settings }), 'velocitySpike'), []);
    assert.deepEqual(fired(guardInput(min(9), { records: [...steady(0, 8, 300_000), ...steady(8, 9, 1_800_000)], settings }), 'velocitySpike'), []);
  });
});

describe('guard: contextRunaway', () => {
  const settings = only('contextRunaway');

  it('fires at 90% of the window, from the table by exact model id or from the log', () => {
    const [claude] = fired(guardInput(min(1), { events: [context(min(1), 185_000)], records: [record(min(1), 185_000)], settings }), 'contextRunaway');
    assert.match(claude.message, /185k of its 200k-token context in use \(93%\)/);
    assert.equal(claude.evidence.events.length, 1);
    const codex = fired(guardInput(min(1), { events: [context(min(1), 240_000, { agent: 'codex', contextWindow: 258_400 })], settings }), 'contextRunaway');
    assert.equal(codex.length, 1);
  });

  it('stays silent below 90%, for an unknown model, and above the table window (a 1M-token session)', () => {
    assert.deepEqual(fired(guardInput(min(1), { events: [context(min(1), 170_000)], records: [record(min(1), 1)], settings }), 'contextRunaway'), []);
    assert.deepEqual(fired(guardInput(min(1), { events: [context(min(1), 185_000)], records: [record(min(1), 1, 0, { model: 'claude-sonnet-4-5' })], settings }), 'contextRunaway'), []);
    assert.deepEqual(fired(guardInput(min(1), { events: [context(min(1), 400_000)], records: [record(min(1), 1)], settings }), 'contextRunaway'), []);
  });

  it('fires on two compactions within 10 minutes, not 20 minutes apart', () => {
    const [v] = fired(guardInput(min(9), { events: [compaction(min(2)), compaction(min(8))], settings }), 'contextRunaway');
    assert.match(v.message, /compacted its context 2 times in the last 10 minutes/);
    assert.equal(v.evidence.events.length, 2);
    assert.deepEqual(fired(guardInput(min(25), { events: [compaction(min(2)), compaction(min(22))], settings }), 'contextRunaway'), []);
  });
});

describe('guard: evaluate', () => {
  it('is pure, prefixes keys with the scope, and runs only enabled rules', () => {
    const input = guardInput(sec(60), { events: sameCalls(5, 0), scope: 'task-7' });
    assert.deepEqual(evaluate(input), evaluate(input));
    assert.match(evaluate(input)[0].episodeKey, /^task-7:repeatedToolCycle:/);
    assert.deepEqual(evaluate({ ...input, settings: guardSettings({ enabled: ['errorLoop'] }) }), []);
  });
});

describe('guard: which flags notify', () => {
  it('leaves a spent budget to the budget alert at 100%, and says it itself when the alerts leave 100 out', () => {
    const spent = { rule: 'budgetProjection', severity: 'error' } as const;
    assert.equal(toastsFlag(spent, [50, 80, 100]), false, 'the 100% alert says it in the same moment');
    assert.equal(toastsFlag(spent, [50, 80]), true, 'no alert at 100%: the flag is the only notice');
    assert.equal(toastsFlag(spent, []), true);
    assert.equal(toastsFlag({ rule: 'budgetProjection', severity: 'warning' }, [50, 80, 100]), true, 'a projection is not an alert');
    for (const rule of RULE_NAMES.filter((r) => r !== 'budgetProjection')) assert.equal(toastsFlag({ rule, severity: 'error' }, [100]), true, rule);
  });
});

describe('guard: EpisodeTracker', () => {
  const loop = (key = 'loop-a', rule: RuleName = 'repeatedToolCycle'): Verdict => ({ rule, severity: 'warning', episodeKey: key, message: 'm', evidence: { events: [], records: [] } });

  it('notifies once per episode, and again after the pattern stopped and came back', () => {
    const tracker = new EpisodeTracker();
    assert.equal(tracker.update([loop()], 1).length, 1);
    assert.equal(tracker.update([loop()], 2).length, 0);
    assert.equal(tracker.update([loop()], 3).length, 0);
    assert.equal(tracker.update([], 4).length, 0);
    const again = tracker.update([loop()], 5);
    assert.equal(again.length, 1);
    assert.equal(again[0].since, 5);
  });

  it('tells episodes apart by key', () => {
    const tracker = new EpisodeTracker();
    tracker.update([loop('a')], 1);
    assert.deepEqual(tracker.update([loop('a'), loop('b')], 2).map((n) => n.verdict.episodeKey), ['b']);
  });

  it('holds notifications while snoozed, then notifies an episode still going on', () => {
    const tracker = new EpisodeTracker();
    tracker.snooze(100);
    assert.equal(tracker.update([loop('a'), loop('b')], 10).length, 0);
    assert.equal(tracker.update([loop('a')], 50).length, 0); // b ended while snoozed: never told
    const after = tracker.update([loop('a')], 100);
    assert.deepEqual(after.map((n) => [n.verdict.episodeKey, n.since]), [['a', 10]]);
    assert.equal(tracker.update([loop('a')], 110).length, 0);
  });

  it('mutes one rule and not the others', () => {
    const tracker = new EpisodeTracker();
    tracker.mute('repeatedToolCycle');
    assert.deepEqual(tracker.update([loop('a'), loop('e', 'errorLoop')], 1).map((n) => n.verdict.rule), ['errorLoop']);
    assert.equal(tracker.update([loop('a')], 2).length, 0);
    tracker.unmute('repeatedToolCycle');
    assert.equal(tracker.update([loop('a')], 3).length, 1);
  });

  it('survives a JSON round trip', () => {
    const tracker = new EpisodeTracker();
    tracker.mute('idleTask');
    tracker.update([loop('a')], 1);
    const restored = new EpisodeTracker(JSON.parse(JSON.stringify(tracker)));
    assert.equal(restored.update([loop('a')], 2).length, 0);
    assert.ok(restored.isMuted('idleTask'));
    assert.deepEqual(restored.openEpisodes(), ['a']);
  });
});

describe('guard: labelled sessions', () => {
  it('are deterministic', () => {
    assert.deepEqual(labelledSessions(), labelledSessions());
  });

  it('cover every rule and the must-not-fire cases', () => {
    const sessions = labelledSessions();
    for (const rule of RULE_NAMES) assert.ok(sessions.some((s) => s.expected.includes(rule)), rule);
    assert.ok(sessions.filter((s) => s.expected.length === 0).length >= 4);
  });

  it('score 100% right and 0 false, checked every minute of every session', () => {
    const sessions = labelledSessions();
    const scores = scoreGuard(sessions);
    for (const rule of RULE_NAMES) {
      const labelled = sessions.filter((s) => s.expected.includes(rule)).length;
      assert.deepEqual([rule, scores[rule].right, scores[rule].missed, scores[rule].false], [rule, labelled, 0, 0]);
    }
  });
});
