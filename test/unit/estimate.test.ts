import assert from 'node:assert/strict';
import { createPricer } from '../../src/core/pricing/pricer';
import {
  buildEstimate,
  DEFAULT_MODELS,
  estimateDollars,
  estimateRows,
  estimateText,
  providerOf,
  recentModels,
  RECENT_MS,
  type SessionModels,
  summaryText,
  usesO200k,
} from '../../src/core/estimate/estimate';

// Amounts are worked out by hand from the bundled table (@pydantic/genai-prices@0.1.8):
// claude-sonnet-4-5 input $3/M, cache read $0.30/M (above 200k input: $6 and $0.60);
// gpt-5 input $1.25/M, cache read $0.125/M; gpt-4 input $30/M, no cache-read rate.
const at = Date.UTC(2026, 9, 1);
const DAY = 86_400_000;

function assertDollars(actual: number | null, expected: number): void {
  assert.notEqual(actual, null, 'expected a price, got unpriced');
  assert.ok(Math.abs(actual! - expected) < 1e-12, `expected $${expected}, got $${actual}`);
}

function session(_id: string, lastActivity: number, models: string[]): SessionModels {
  return { lastActivity, models };
}

describe('estimate tokens: pricing rows', () => {
  const pricer = createPricer();

  it('prices the text as input and as a cache read on Claude and GPT-5', () => {
    const [sonnet, gpt5] = estimateRows(10_000, ['claude-sonnet-4-5-20250929', 'gpt-5'], pricer, at);
    assert.equal(sonnet!.provider, 'anthropic');
    assertDollars(sonnet!.inputUSD, 0.03); // 10 000 × $3/M
    assertDollars(sonnet!.cachedInputUSD, 0.003); // 10 000 × $0.30/M
    assert.equal(sonnet!.approximate, true, 'Claude counts are approximations (o200k_base is not its tokenizer)');
    assert.equal(gpt5!.provider, 'openai');
    assertDollars(gpt5!.inputUSD, 0.0125); // 10 000 × $1.25/M
    assertDollars(gpt5!.cachedInputUSD, 0.00125); // 10 000 × $0.125/M
    assert.equal(gpt5!.approximate, false, 'o200k_base is GPT-5’s own encoding');
  });

  it('uses the long-context rate when the text alone exceeds 200k tokens', () => {
    const [row] = estimateRows(250_000, ['claude-sonnet-4-5-20250929'], pricer, at);
    assertDollars(row!.inputUSD, 1.5); // 250 000 × $6/M
    assertDollars(row!.cachedInputUSD, 0.15); // 250 000 × $0.60/M
  });

  it('shows no cached price for a model without a cache-read rate', () => {
    const [row] = estimateRows(1000, ['gpt-4'], pricer, at);
    assertDollars(row!.inputUSD, 0.03); // 1000 × $30/M
    assert.equal(row!.cachedInputUSD, null);
    assert.equal(row!.approximate, true, 'gpt-4 uses cl100k_base');
  });

  it('leaves unknown models unpriced, never $0', () => {
    const rows = estimateRows(1000, ['mystery-model-1', 'claude-nonexistent-9', 'gemini-0.1-imaginary'], pricer, at);
    for (const row of rows) {
      assert.equal(row.inputUSD, null, row.model);
      assert.equal(row.cachedInputUSD, null, row.model);
    }
    assert.equal(rows[0]!.provider, null);
    assert.equal(rows[1]!.provider, 'anthropic');
    assert.match(estimateText(buildEstimate({ scope: 'file', label: 'a.ts', tokens: 1000, characters: 4000, sessions: [session('s', at, ['mystery-model-1'])], pricer, now: at })), /mystery-model-1: unpriced input/);
  });

  it('prices overridden (negotiated) rates', () => {
    const [row] = estimateRows(1_000_000, ['claude-sonnet-4-5-20250929'], createPricer({ 'claude-sonnet-4-5': { input: 2.4, cacheRead: 0.24 } }), at);
    assertDollars(row!.inputUSD, 2.4);
    assertDollars(row!.cachedInputUSD, 0.24);
  });
});

describe('estimate tokens: which models', () => {
  it('maps model ids to providers by the vendors’ prefixes', () => {
    assert.equal(providerOf('claude-opus-4-1-20250805'), 'anthropic');
    assert.equal(providerOf('gpt-5-codex'), 'openai');
    assert.equal(providerOf('o3'), 'openai');
    assert.equal(providerOf('o4-mini'), 'openai');
    assert.equal(providerOf('gemini-2.5-pro'), 'google');
    assert.equal(providerOf('anthropic/claude-sonnet-4'), 'anthropic');
    assert.equal(providerOf('omni-model'), null, 'an o followed by a letter is not the o-series');
    assert.equal(providerOf('llama-3'), null);
  });

  it('knows which models o200k_base counts exactly', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'gpt-5-codex', 'o1', 'o3-mini', 'o4-mini']) assert.equal(usesO200k(m), true, m);
    for (const m of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'o10x']) assert.equal(usesO200k(m), false, m);
  });

  it('takes the distinct models of recent sessions, most recently used first', () => {
    const sessions = [
      session('old', at - RECENT_MS - DAY, ['claude-3-opus-20240229']),
      session('a', at - 2 * DAY, ['claude-sonnet-4-5-20250929', '<synthetic>']),
      session('b', at - DAY, ['gpt-5-codex', 'claude-sonnet-4-5-20250929']),
    ];
    assert.deepEqual(recentModels(sessions, at), ['claude-sonnet-4-5-20250929', 'gpt-5-codex']);
    assert.deepEqual(recentModels(sessions, at, 1), ['claude-sonnet-4-5-20250929']);
  });

  it('falls back to the default models when the workspace has no recent sessions', () => {
    const e = buildEstimate({ scope: 'selection', label: 'x.md', tokens: 2, characters: 11, sessions: [session('old', at - 400 * DAY, ['gpt-4'])], pricer: createPricer(), now: at });
    assert.equal(e.modelsFrom, 'default');
    assert.deepEqual(e.rows.map((r) => r.model), [...DEFAULT_MODELS]);
    assert.equal(e.encoding, 'o200k_base');
  });
});

describe('estimate tokens: text', () => {
  it('formats small amounts with two significant digits and null as unpriced', () => {
    assert.equal(estimateDollars(null), 'unpriced');
    assert.equal(estimateDollars(0.000006), '$0.0000060'); // "hello world" on Sonnet: 2 × $3/M
    assert.equal(estimateDollars(0.0037), '$0.0037');
    assert.equal(estimateDollars(1.5), '$1.50');
    assert.equal(estimateDollars(0), '$0.00');
  });

  it('labels everything estimated and flags approximate counts', () => {
    const e = buildEstimate({ scope: 'selection', label: 'notes.md', tokens: 1234, characters: 5000, sessions: [], pricer: createPricer(), now: at });
    const summary = summaryText(e);
    assert.match(summary, /~1,234 tokens \(estimated, o200k_base\)/);
    assert.match(summary, /claude-sonnet-4-5-20250929 \$0\.0037≈/);
    const text = estimateText(e);
    assert.match(text, /Estimated tokens of a selection in notes\.md: 1,234/);
    assert.match(text, /claude-sonnet-4-5-20250929: \$0\.0037 input, \$0\.00037 if cached \(approximate count\)/);
    assert.match(text, /gpt-5: \$0\.0015 input, \$0\.00015 if cached$/m);
    assert.match(text, /Anthropic's tokenizer is not public/);
  });
});
