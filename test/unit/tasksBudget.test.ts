import * as assert from 'node:assert/strict';
import { alertsDue, budgetUse, burnRate, projectedExhaustion, projectedExhaustionByKind } from '../../src/core/tasks/budget';
import { markAlertsFired, pauseTask, resumeTask, startTask, type Task } from '../../src/core/tasks/task';
import { input, MIN, numbers, rec, T0 } from './helpers/tasksFixtures';

describe('task budget', () => {
  // Started at T0, paused 10 minutes: at T0 + 30m it has run 20 active minutes.
  const task: Task = resumeTask(pauseTask(startTask(input({ budget: { usd: 10, tokens: 1000, minutes: 60 } }), T0, 't'), T0 + 5 * MIN), T0 + 15 * MIN);
  const now = T0 + 30 * MIN;

  it('reports each kind and the largest as the fraction', () => {
    const use = budgetUse(task, numbers({ costUSD: 4, totalTokens: 900, requests: 3 }), now);
    assert.equal(use.byKind.usd, 0.4);
    assert.equal(use.byKind.tokens, 0.9);
    assert.equal(use.byKind.minutes, 20 / 60);
    assert.equal(use.fraction, 0.9);
    assert.deepEqual(use.remaining, { usd: 6, tokens: 100, ms: 40 * MIN });
    assert.equal(use.usdUnpriced, false);
    const over = budgetUse(task, numbers({ costUSD: 12, totalTokens: 10, requests: 1 }), now);
    assert.equal(over.fraction, 1.2);
    assert.equal(over.remaining.usd, -2, 'negative: over budget by $2');
  });

  it('says a dollar budget is unknown when nothing could be priced, rather than 0%', () => {
    const usdOnly = { ...task, budget: { usd: 10 } };
    const unpriced = budgetUse(usdOnly, numbers({ costUSD: null, totalTokens: 5000, requests: 2, unpricedModels: ['mystery-1'] }), now);
    assert.equal(unpriced.usdUnpriced, true);
    assert.equal(unpriced.byKind.usd, undefined);
    assert.equal(unpriced.remaining.usd, undefined);
    assert.equal(unpriced.fraction, undefined);
    const idle = budgetUse(usdOnly, numbers({}), now);
    assert.equal(idle.fraction, 0, 'no requests yet is a known 0%');
    assert.equal(idle.usdUnpriced, false);
    const partly = budgetUse(usdOnly, numbers({ costUSD: 2, requests: 3, unpricedModels: ['mystery-1'] }), now);
    assert.equal(partly.fraction, 0.2);
    assert.equal(partly.usdLowerBound, true);
  });

  it('measures the burn rate over the last 10 minutes of records', () => {
    const records = [
      rec('s', now - 11 * MIN, 99_999, { cost: 5 }),
      rec('s', now - 9 * MIN, 1000, { cost: 0.5 }),
      rec('s', now - MIN, 2000, { cost: 0.25 }),
    ];
    const rate = burnRate(records, now);
    assert.equal(rate.requests, 2);
    assert.equal(rate.usdPerHour, 4.5, '$0.75 in 10 minutes');
    assert.equal(rate.tokensPerHour, 18_000);
    const young = startTask(input(), now - 5 * MIN, 'y');
    assert.equal(burnRate(records.slice(2), now, undefined, young).usdPerHour, 3, '$0.25 over 5 active minutes, not 10');
    const fresh = startTask(input(), now - 10_000, 'f');
    assert.equal(burnRate([rec('s', now - 5000, 10, { cost: 0.1 })], now, undefined, fresh).usdPerHour, 6, '60 s floor: $0.10 a minute, not $36/h');
    assert.equal(burnRate([rec('s', now - MIN, 10)], now).usdPerHour, null, 'unpriced requests: unknown dollars');
    assert.equal(burnRate([], now).usdPerHour, 0);
  });

  it('projects when the first budget kind runs out', () => {
    const n = numbers({ costUSD: 4, totalTokens: 900, requests: 3 });
    const rate = { usdPerHour: 4.5, tokensPerHour: 18_000, requests: 2, spanMs: 10 * MIN, usdLowerBound: false };
    const byKind = projectedExhaustionByKind(task, n, rate, now);
    assert.equal(byKind.usd, 80 * MIN, '$6 left at $4.50/h');
    assert.equal(byKind.tokens, 20_000, '100 tokens left at 18,000/h');
    assert.equal(byKind.minutes, 40 * MIN);
    assert.equal(projectedExhaustion(task, n, rate, now), 20_000);
    const usdOnly = { ...task, budget: { usd: 10 } };
    assert.equal(projectedExhaustion(usdOnly, n, { ...rate, usdPerHour: 0 }, now), undefined, 'nothing burns');
    assert.equal(projectedExhaustion(usdOnly, numbers({ costUSD: 11, requests: 1 }), rate, now), 0, 'already spent');
    assert.equal(projectedExhaustion(pauseTask(task, now), n, rate, now), undefined, 'a paused task does not burn');
  });

  it('fires each alert threshold once per task', () => {
    let t = task;
    assert.deepEqual(alertsDue(t, 0.49), []);
    assert.deepEqual(alertsDue(t, 0.85), [50, 80]);
    t = markAlertsFired(t, [50]);
    assert.deepEqual(alertsDue(t, 0.85), [80]);
    t = markAlertsFired(t, alertsDue(t, 0.85));
    assert.deepEqual(t.alertsFired, [50, 80]);
    assert.deepEqual(alertsDue(t, 0.9), []);
    assert.deepEqual(alertsDue(t, 1), [100]);
    assert.deepEqual(alertsDue(task, 0.8), [50, 80], '0.8 * 100 is 80.00000000000001, still exactly 80%');
    assert.deepEqual(alertsDue(task, 0.29 * 100 / 100, [29]), [29], 'float noise below the threshold');
    assert.deepEqual(alertsDue(task, undefined), [], 'unknown fraction: no alert');
    assert.deepEqual(alertsDue(task, 0.95, [90, 25]), [25, 90]);
  });
});
