import * as assert from 'node:assert/strict';
import { emptyTotals } from '../../src/core/ledger/ledger';
import { meterView, type MeterTask } from '../../src/core/meter/meterView';

describe('meter text for a task', () => {
  const now = Date.UTC(2026, 10, 1, 12);
  const numbers = { ...emptyTotals(), inputTokens: 56_600, totalTokens: 56_600, costUSD: 0.1, requests: 3, byModel: [], sessions: [], unpricedModels: [] };
  const task = (budgetFraction: number | undefined): MeterTask => ({
    goal: 'g',
    paused: false,
    startedAt: now - 60_000,
    budget: { usd: 100 },
    budgetFraction,
    remaining: {},
    burn: { usdPerHour: 6, tokensPerHour: 3_000_000 },
    projectedMs: undefined,
    openCriteria: 1,
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

  it('colours the meter by the share: warning from 80%, error from 100%', () => {
    assert.deepEqual([0.001, 0.79, 0.8, 0.99, 1, 2].map((f) => view(f).severity), ['none', 'none', 'warning', 'warning', 'error', 'error']);
  });
});
