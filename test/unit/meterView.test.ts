import * as assert from 'node:assert/strict';
import { emptyTotals } from '../../src/core/ledger/ledger';
import { meterView, type MeterTask } from '../../src/core/meter/meterView';

describe('meter text for a task', () => {
  const now = Date.UTC(2026, 10, 1, 12);
  const numbers = { ...emptyTotals(), inputTokens: 56_600, totalTokens: 56_600, costUSD: 0.1, requests: 3, byModel: [], sessions: [], unpricedModels: [] };
  const task = (budgetFraction: number | undefined, projectedMs?: number, openCriteria = 1): MeterTask => ({
    goal: 'g',
    paused: false,
    startedAt: now - 60_000,
    budget: { usd: 100 },
    budgetFraction,
    remaining: {},
    burn: { usdPerHour: 6, tokensPerHour: 3_000_000 },
    projectedMs,
    openCriteria,
    activeMs: 60_000,
  });
  const view = (fraction: number | undefined) => meterView({ now, numbers, task: task(fraction), warningAt: 80, errorAt: 100 });

  it('shows the share of the budget, and spend under half a percent as <1%, never 0%', () => {
    assert.equal(view(0.001).text, '$(pulse) $0.10 · 56.6k · <1%');
    assert.match(view(0.001).ariaLabel, /, less than 1 percent of budget$/);
    assert.equal(view(0).text, '$(pulse) $0.10 · 56.6k · 0%', 'nothing spent is 0%');
    assert.equal(view(0.005).text, '$(pulse) $0.10 · 56.6k · 1%');
    assert.equal(view(0.62).text, '$(pulse) $0.10 · 56.6k · 62%');
    assert.match(view(0.62).ariaLabel, /, 62 percent of budget$/);
    assert.equal(view(undefined).text, '$(pulse) $0.10 · 56.6k', 'no measurable budget: no share');
  });

  it('says in the tooltip when the budget runs out at this rate, and that a spent one is spent', () => {
    const tip = (projectedMs: number | undefined, open = 1) => meterView({ now, numbers, task: task(0.5, projectedMs, open), warningAt: 80, errorAt: 100 }).tooltip;
    assert.match(tip(12 * 60_000), /^Budget runs out in about 12 min at this rate with 1 done criterion open$/m);
    assert.match(tip(45_000, 2), /^Budget runs out in about 45 s at this rate with 2 done criteria open$/m);
    assert.match(tip(0), /^Budget spent with 1 done criterion open$/m);
    assert.match(tip(0, 0), /^Budget spent$/m);
    assert.doesNotMatch(tip(undefined), /runs out|spent/);
  });

  it('colours the meter by the share: warning from 80%, error from 100%', () => {
    assert.deepEqual([0.001, 0.79, 0.8, 0.99, 1, 2].map((f) => view(f).severity), ['none', 'none', 'warning', 'warning', 'error', 'error']);
  });
});
