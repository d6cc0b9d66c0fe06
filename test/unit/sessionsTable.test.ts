import * as assert from 'node:assert/strict';
import { emptyTotals, type SessionSummary } from '../../src/core/ledger/ledger';
import { sessionsTable } from '../../src/core/report/sessionsTable';
import { localMinute } from '../../src/core/util/day';

const PRICES = { source: '@pydantic/genai-prices@0.1.8', date: '2026-09-23' };

function session(over: Partial<SessionSummary> & Pick<SessionSummary, 'sessionId' | 'firstActivity' | 'lastActivity'>): SessionSummary {
  return {
    ...emptyTotals(),
    agent: 'claude-code',
    cwd: '/w',
    models: ['claude-sonnet-4-5'],
    unpricedModels: [],
    byModel: [],
    estimated: false,
    ...over,
  };
}

/** The table's body rows (between the two rules), split into cells. */
function rows(text: string): string[][] {
  const lines = text.split('\n');
  const rules = lines.flatMap((l, i) => (l.startsWith('─') ? [i] : []));
  return lines.slice(rules[0] + 1, rules[1]).map((l) => l.split(/ {2,}/));
}

describe('sessions table (CLI)', () => {
  const early = session({ sessionId: 'aaaaaaaa-1', firstActivity: Date.UTC(2026, 10, 1, 8), lastActivity: Date.UTC(2026, 10, 3, 23, 30), inputTokens: 1200, totalTokens: 1200, costUSD: 0.5 });
  // Started later but finished earlier: the rows follow the column shown, last activity.
  const late = session({
    sessionId: 'bbbbbbbb-2',
    agent: 'codex',
    firstActivity: Date.UTC(2026, 10, 2, 9),
    lastActivity: Date.UTC(2026, 10, 2, 9, 5),
    models: ['gpt-5-codex', 'mystery-1'],
    unpricedModels: ['mystery-1'],
    outputTokens: 30,
    totalTokens: 30,
    costUSD: 0.25,
  });

  it('orders sessions by the last activity it shows, in the given zone, and totals them', () => {
    const text = sessionsTable([early, late], PRICES, 120);
    const body = rows(text);
    assert.deepEqual(body.map((r) => r[1]), ['bbbbbbbb', 'aaaaaaaa']);
    assert.equal(body[0][2], '2026-11-02 11:05');
    // 23:30 UTC is the next day at UTC+02:00.
    assert.equal(body[1][2], '2026-11-04 01:30');
    assert.equal(body[0][body[0].length - 1], '$0.25 + unpriced');
    assert.match(text, /^Total +2 sessions +1,200 +30 +0 +0 +1\.23k +\$0\.75 \+ unpriced$/m);
    assert.match(text, /Times in UTC\+02:00\. Prices: @pydantic\/genai-prices@0\.1\.8, data of 2026-09-23\./);
  });

  it('says "1 session", and shows a session without any priced model as unpriced, not $0', () => {
    const text = sessionsTable([session({ sessionId: 'cccccccc', firstActivity: 0, lastActivity: 60_000, models: ['mystery-1'], unpricedModels: ['mystery-1'], costUSD: null })], PRICES, 0);
    assert.equal(rows(text)[0].at(-1), 'unpriced');
    assert.match(text, /^Total +1 session +.*unpriced$/m);
    assert.match(text, /Times in UTC\./);
    assert.doesNotMatch(text, /\$0\.00/);
  });

  it('reads times in the local zone when none is given', () => {
    const at = Date.UTC(2026, 6, 1, 12, 0);
    const offset = -new Date(at).getTimezoneOffset();
    assert.equal(localMinute(at), localMinute(at, offset));
    assert.equal(localMinute(at, -330), '2026-07-01 06:30');
    assert.match(sessionsTable([session({ sessionId: 'd', firstActivity: at, lastActivity: at })], PRICES), /Times in local time\./);
  });
});
