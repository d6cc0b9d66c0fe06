import assert from 'node:assert/strict';
import { createPricer, type TokenUsage } from '../../src/core/pricing/pricer';
import { priceOverridesSchema } from '../../src/core/pricing/priceOverrides';

// Every expected amount below is worked out by hand from the per-million rates of
// @pydantic/genai-prices@0.1.8 (the bundled table), written next to it.

function usage(parts: Partial<TokenUsage>): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, ...parts };
}

/** Dollars are floats; a cent-level bug is 1e-2, float noise is 1e-15. */
function assertDollars(actual: number | null, expected: number): void {
  assert.notEqual(actual, null, 'expected a price, got unpriced');
  assert.ok(Math.abs(actual! - expected) < 1e-12, `expected $${expected}, got $${actual}`);
}

const at = Date.UTC(2026, 9, 1); // 2026-10-01, after every dated change the table has for these models
/** One thousand tokens of each kind: the dollar amount is (sum of the five rates) / 1000. */
const thousandEach = usage({ inputTokens: 1000, outputTokens: 1000, cacheWrite5mTokens: 1000, cacheWrite1hTokens: 1000, cacheReadTokens: 1000 });
/** A Codex turn: 100k input of which 90k cached, 5k output (reasoning included). */
const codexTurn = usage({ inputTokens: 10_000, cacheReadTokens: 90_000, outputTokens: 5_000 });

describe('pricer', () => {
  const pricer = createPricer();

  describe('Anthropic', () => {
    it('prices claude-sonnet-4-5-20250929 (3 in, 15 out, 0.3 cache read)', () => {
      // 1000×3 + 500×15 + 2000×0.3 = 11 100 per million
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5-20250929', usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000 }), { at }), 0.0111);
    });

    it('prices 5-minute (3.75) and 1-hour (6) cache writes of claude-sonnet-4-5-20250929 separately', () => {
      // 1000×3 + 500×15 + 10 000×3.75 + 20 000×6 + 50 000×0.3 = 183 000 per million
      const u = usage({ inputTokens: 1000, outputTokens: 500, cacheWrite5mTokens: 10_000, cacheWrite1hTokens: 20_000, cacheReadTokens: 50_000 });
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5-20250929', u, { at }), 0.183);
    });

    it('bills a whole claude-sonnet-4-5 request over 200k total input at the long-context rates', () => {
      // total input 100k + 150k cache read = 250k > 200k, so every token is at 6 / 0.6 / 22.5:
      // 100 000×6 + 150 000×0.6 + 10 000×22.5 = 915 000 per million (base rates would give 0.495)
      const u = usage({ inputTokens: 100_000, cacheReadTokens: 150_000, outputTokens: 10_000 });
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5-20250929', u, { at }), 0.915);
    });

    it('counts cache writes toward the 200k threshold, which is exclusive', () => {
      // exactly 200 000: base rates, 100 000×3 + 100 000×3.75 = 675 000 per million
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5', usage({ inputTokens: 100_000, cacheWrite5mTokens: 100_000 }), { at }), 0.675);
      // 200 001: long context, 100 001×6 + 100 000×7.5 = 1 350 006 per million
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5', usage({ inputTokens: 100_001, cacheWrite5mTokens: 100_000 }), { at }), 1.350006);
    });

    it('prices claude-opus-4-1-20250805 (15, 75, 18.75, 30, 1.5)', () => {
      assertDollars(pricer.cost('anthropic', 'claude-opus-4-1-20250805', thousandEach, { at }), 0.14025);
    });

    it('prices claude-opus-4-5-20251101 (5, 25, 6.25, 10, 0.5)', () => {
      assertDollars(pricer.cost('anthropic', 'claude-opus-4-5-20251101', thousandEach, { at }), 0.04675);
    });

    it('prices claude-haiku-4-5-20251001 (1, 5, 1.25, 2, 0.1)', () => {
      assertDollars(pricer.cost('anthropic', 'claude-haiku-4-5-20251001', thousandEach, { at }), 0.00935);
    });

    it('prices claude-sonnet-4-20250514 (3, 15, 3.75, 6, 0.3) with no long-context tier in the table', () => {
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-20250514', thousandEach, { at }), 0.02805);
      // The table declares no >200k tier for Sonnet 4 (ccusage applies one): 300 000×3 per million
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-20250514', usage({ inputTokens: 300_000 }), { at }), 0.9);
    });

    it('adds web searches at $10 per thousand', () => {
      // 1000×3 per million + 3 searches × 10 / 1000
      assertDollars(pricer.cost('anthropic', 'claude-sonnet-4-5', usage({ inputTokens: 1000, webSearchRequests: 3 }), { at }), 0.033);
    });

    it('leaves fast mode unpriced, because the table has no fast rates', () => {
      assert.equal(pricer.cost('anthropic', 'claude-opus-4-6', thousandEach, { at, speed: 'fast' }), null);
      // "standard" is the ordinary speed
      assertDollars(pricer.cost('anthropic', 'claude-opus-4-6', thousandEach, { at, speed: 'standard' }), 0.04675);
    });
  });

  describe('OpenAI', () => {
    it('prices gpt-5 (1.25 in, 0.125 cached, 10 out)', () => {
      // 10 000×1.25 + 90 000×0.125 + 5000×10 = 73 750 per million
      assertDollars(pricer.cost('openai', 'gpt-5', codexTurn, { at }), 0.07375);
    });

    it('prices gpt-5-codex as the table declares it: an alias of gpt-5', () => {
      assert.equal(pricer.tableModelId('openai', 'gpt-5-codex'), 'gpt-5');
      assertDollars(pricer.cost('openai', 'gpt-5-codex', codexTurn, { at }), 0.07375);
    });

    it('prices gpt-5.1-codex as the table declares it: an alias of gpt-5.1 (same rates as gpt-5)', () => {
      assert.equal(pricer.tableModelId('openai', 'gpt-5.1-codex'), 'gpt-5.1');
      assertDollars(pricer.cost('openai', 'gpt-5.1-codex', codexTurn, { at }), 0.07375);
    });

    it('prices gpt-5-mini (0.25, 0.025, 2)', () => {
      // 10 000×0.25 + 90 000×0.025 + 5000×2 = 14 750 per million
      assertDollars(pricer.cost('openai', 'gpt-5-mini', codexTurn, { at }), 0.01475);
    });

    it('prices gpt-5.4-mini at its own rates, not gpt-5 (ccusage #934)', () => {
      // 10 000×0.75 + 90 000×0.075 + 5000×4.5 = 36 750 per million; gpt-5 would be 0.07375
      assert.equal(pricer.tableModelId('openai', 'gpt-5.4-mini'), 'gpt-5.4-mini');
      assertDollars(pricer.cost('openai', 'gpt-5.4-mini', codexTurn, { at }), 0.03675);
    });

    it('does not price an unlisted gpt-5 variant as gpt-5 (no prefix guessing)', () => {
      for (const model of ['gpt-5.9-mini', 'gpt-5-codex-ultra', 'gpt-5.1-codex-turbo', 'gpt-5-', 'gpt-5.4-mini-fast']) {
        assert.equal(pricer.cost('openai', model, codexTurn, { at }), null, model);
        assert.equal(pricer.isPriced('openai', model), false, model);
      }
    });
  });

  describe('unknown models', () => {
    it('returns null, never $0', () => {
      assert.equal(pricer.cost('anthropic', 'claude-nonexistent-9', thousandEach, { at }), null);
      assert.equal(pricer.cost('anthropic', '<synthetic>', usage({}), { at }), null);
      assert.equal(pricer.isPriced('anthropic', 'claude-nonexistent-9'), false);
      assert.equal(pricer.tableModelId('anthropic', 'claude-nonexistent-9'), null);
    });

    it('does not look a model up under another provider', () => {
      assert.equal(pricer.cost('openai', 'claude-sonnet-4-5-20250929', thousandEach, { at }), null);
      assert.equal(pricer.cost('anthropic', 'gpt-5', codexTurn, { at }), null);
    });

    it('prices a malformed record as unpriced rather than a negative or NaN amount', () => {
      assert.equal(pricer.cost('openai', 'gpt-5', usage({ inputTokens: -1 }), { at }), null);
      assert.equal(pricer.cost('openai', 'gpt-5', usage({ outputTokens: Number.NaN }), { at }), null);
      assert.equal(pricer.cost('openai', 'gpt-5', codexTurn, { at: Number.NaN }), null);
    });

    it('matches case-insensitively and ignores surrounding spaces, like the table', () => {
      assertDollars(pricer.cost('openai', ' GPT-5 ', codexTurn, { at }), 0.07375);
    });
  });

  describe('prices that changed over time', () => {
    it('prices o3 at 10/40 before 2025-06-10 and 2/8 from that day (UTC)', () => {
      const u = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
      const cut = Date.UTC(2025, 5, 10);
      assertDollars(pricer.cost('openai', 'o3', u, { at: cut - 1 }), 50);
      assertDollars(pricer.cost('openai', 'o3', u, { at: cut }), 10);
    });

    it('drops the claude-opus-4-6 long-context tier from 2026-03-13', () => {
      const u = usage({ inputTokens: 300_000 });
      // before: 300 000 > 200 000 → 300 000×10; from 2026-03-13: 300 000×5
      assertDollars(pricer.cost('anthropic', 'claude-opus-4-6', u, { at: Date.UTC(2026, 2, 12, 23, 59) }), 3);
      assertDollars(pricer.cost('anthropic', 'claude-opus-4-6', u, { at: Date.UTC(2026, 2, 13) }), 1.5);
    });
  });

  describe('overrides', () => {
    it('replaces only the given rates, at every context length', () => {
      const p = createPricer({ 'claude-sonnet-4-5': { input: 2, cacheRead: 0.2 } });
      // 1000×2 + 500×15 + 2000×0.2 = 9 900 per million
      assertDollars(p.cost('anthropic', 'claude-sonnet-4-5-20250929', usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000 }), { at }), 0.0099);
      // long context: input and cache read stay at the override, output takes the 22.5 tier
      // 100 000×2 + 150 000×0.2 + 10 000×22.5 = 455 000 per million
      const long = usage({ inputTokens: 100_000, cacheReadTokens: 150_000, outputTokens: 10_000 });
      assertDollars(p.cost('anthropic', 'claude-sonnet-4-5-20250929', long, { at }), 0.455);
    });

    it('prefers an override keyed by the logged id over one keyed by the table id', () => {
      const p = createPricer({ 'claude-haiku-4-5': { output: 4 }, 'CLAUDE-HAIKU-4-5-20251001': { output: 3 } });
      // 1000×1 + 1000×3 = 4000 per million
      assertDollars(p.cost('anthropic', 'claude-haiku-4-5-20251001', usage({ inputTokens: 1000, outputTokens: 1000 }), { at }), 0.004);
      // a differently dated id falls back to the table-id override: 1000×1 + 1000×4
      assertDollars(p.cost('anthropic', 'claude-haiku-4-5-20991231', usage({ inputTokens: 1000, outputTokens: 1000 }), { at }), 0.005);
    });

    it('prices a model the table lacks only when input and output are both given', () => {
      const p = createPricer({ 'my-internal-model': { input: 1, output: 2 }, 'half-known': { input: 1 } });
      // cache reads without their own rate are billed as input, as the table does: (1000 + 1000)×1 + 1000×2
      assertDollars(p.cost('openai', 'my-internal-model', usage({ inputTokens: 1000, cacheReadTokens: 1000, outputTokens: 1000 }), { at }), 0.004);
      assert.equal(p.isPriced('openai', 'my-internal-model'), true);
      assert.equal(p.cost('openai', 'half-known', usage({ inputTokens: 1000 }), { at }), null);
    });

    it('prices fast mode from a fast override', () => {
      const p = createPricer({ 'claude-opus-4-6': { fast: { input: 30, output: 150, cacheWrite5m: 37.5, cacheWrite1h: 60, cacheRead: 3 } } });
      // (30 + 150 + 37.5 + 60 + 3) / 1000
      assertDollars(p.cost('anthropic', 'claude-opus-4-6-20260101', thousandEach, { at, speed: 'fast' }), 0.2805);
      assertDollars(p.cost('anthropic', 'claude-opus-4-6', thousandEach, { at }), 0.04675);
      assert.equal(p.cost('anthropic', 'claude-opus-4-5', thousandEach, { at, speed: 'fast' }), null);
    });

    it('validates overrides with the exported schema', () => {
      const ok = priceOverridesSchema.safeParse({ 'gpt-5': { input: 1, cacheRead: 0.1 }, 'claude-opus-4-6': { fast: { input: 30 } } });
      assert.equal(ok.success, true);
      assert.equal(priceOverridesSchema.safeParse({ 'gpt-5': { input: -1 } }).success, false);
      assert.equal(priceOverridesSchema.safeParse({ 'gpt-5': { cache_read: 0.1 } }).success, false, 'a misspelt rate is an error');
      assert.equal(priceOverridesSchema.safeParse({ 'gpt-5': { input: '1' } }).success, false);
      assert.equal(priceOverridesSchema.safeParse({ '': { input: 1 } }).success, false);
    });
  });

  it('reports the table source and date', () => {
    assert.deepEqual(pricer.tableInfo, { source: '@pydantic/genai-prices@0.1.8', date: '2026-09-23' });
  });
});
