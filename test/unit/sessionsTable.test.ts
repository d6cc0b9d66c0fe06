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
    assert.doesNotMatch(text, /unpriced \+ unpriced/, 'a total with nothing priced is "unpriced", as its session is');
    assert.match(text, /Times in UTC\./);
    assert.doesNotMatch(text, /\$0\.00/);
  });

  it("narrows to a terminal's width: short model names, then total and cost only, then models cut", () => {
    const wide = session({
      sessionId: 'eeeeeeee-5',
      firstActivity: Date.UTC(2026, 10, 1, 8),
      lastActivity: Date.UTC(2026, 10, 1, 9),
      models: ['claude-haiku-4-5-20251001', 'claude-opus-4-6', 'claude-sonnet-4-5-20250929'],
      inputTokens: 12_373,
      outputTokens: 50_347,
      cacheCreationTokens: 594_063,
      cacheReadTokens: 5_813_746,
      totalTokens: 6_470_529,
      costUSD: 4.8,
    });
    const table = (width?: number) => sessionsTable([wide, late], PRICES, 0, width);
    const full = table();
    const fullWidth = Math.max(...full.split('\n').slice(0, -2).map((l) => l.length));
    assert.equal(table(fullWidth), full, 'a terminal wide enough gets the whole table');
    assert.match(full, /claude-haiku-4-5-20251001, claude-opus-4-6, claude-sonnet-4-5-20250929 +12,373 +50,347 +594,063 +5,813,746/);

    const short = table(fullWidth - 1);
    assert.match(short, /  haiku-4-5, opus-4-6, sonnet-4-5 +12,373 +50,347 +594,063 +5,813,746 +6\.47M +\$4\.80$/m, 'the maker and the date leave the model names first');
    assert.doesNotMatch(short, /left out/);

    const compact = table(100);
    assert.deepEqual(rows(compact)[0], ['claude-code', 'eeeeeeee', '2026-11-01 09:00', 'haiku-4-5, opus-4-6, sonnet-4-5', '6.47M', '$4.80']);
    assert.match(compact, /^Total +2 sessions +6\.47M +\$5\.05 \+ unpriced$/m);
    assert.match(compact.replace(/\s+/g, ' '), /Input, output and cache columns left out to fit 100 columns \(--json has them all\)\./, 'the footer says so, wrapped to the width');
    for (const line of compact.split('\n')) assert.ok(line.length <= 100, `fits 100 columns: ${line}`);

    const cut = table(90);
    assert.deepEqual(rows(cut).map((r) => r[3]), ['haiku-4-5, opus-4-6, …', 'gpt-5-codex, mystery-1']);
    for (const line of cut.split('\n')) assert.ok(line.length <= 90, `fits 90 columns: ${line}`);
  });

  it('reads times in the local zone when none is given', () => {
    const at = Date.UTC(2026, 6, 1, 12, 0);
    const offset = -new Date(at).getTimezoneOffset();
    assert.equal(localMinute(at), localMinute(at, offset));
    assert.equal(localMinute(at, -330), '2026-07-01 06:30');
    assert.match(sessionsTable([session({ sessionId: 'd', firstActivity: at, lastActivity: at })], PRICES), /Times in local time\./);
  });
});
