import * as assert from 'node:assert/strict';
import { Ledger } from '../../src/core/ledger/ledger';
import { createPricer } from '../../src/core/pricing/pricer';
import { decodeIndex, encodeIndex } from '../../src/core/scan/indexStore';
import type { FileState } from '../../src/core/scan/scanner';

describe('persisted index', () => {
  const file: FileState = { id: 1, path: '/logs/ui_messages.json', agent: 'cline', size: 10, mtimeMs: 1, ino: 1, offset: 10, parserState: undefined, skips: {} };
  const record = {
    agent: 'cline' as const,
    sessionId: 'task-1',
    key: 'cline:task-1:1',
    timestamp: Date.UTC(2026, 10, 1),
    model: 'claude-sonnet-4-5-20250929',
    inputTokens: 1000,
    outputTokens: 100,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    provider: 'anthropic' as const,
  };
  const expected = (1000 * 3 + 100 * 15) / 1e6;

  it("keeps a record's own pricing provider, so a re-price after a price change still prices it", () => {
    const ledger = new Ledger(createPricer());
    ledger.add(record, 1);
    assert.ok(Math.abs(ledger.summaries()[0].costUSD! - expected) < 1e-12);
    const data = encodeIndex([file], ledger);
    // Other prices (an override elsewhere): stored costs are not reused, every record is re-priced.
    const repriced = new Ledger(createPricer({ 'gpt-5': { input: 1, output: 1 } }));
    decodeIndex(data, repriced);
    assert.ok(Math.abs(repriced.summaries()[0].costUSD! - expected) < 1e-12, `re-priced as Anthropic: ${repriced.summaries()[0].costUSD}`);
    assert.equal(repriced.sessionRecords('cline', 'task-1')[0].provider, 'anthropic');
  });
});
