import * as assert from 'node:assert/strict';
import { Ledger } from '../../src/core/ledger/ledger';
import { createPricer } from '../../src/core/pricing/pricer';
import type { UsageRecord } from '../../src/core/sources/types';

function usage(sessionId: string, key: string, inputTokens = 100): UsageRecord {
  return {
    agent: 'claude-code',
    sessionId,
    key,
    timestamp: Date.UTC(2026, 10, 1),
    model: 'claude-sonnet-4-5-20250929',
    inputTokens,
    outputTokens: 10,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
  };
}

// The ledger remembers the last session entry, changed mark and file list it used (the hot path
// skips hash lookups with them); these pin what must not change because of that.
describe('ledger bookkeeping', () => {
  it('reports every session whose records changed since the last drain, and each once', () => {
    const ledger = new Ledger(createPricer());
    ledger.add(usage('a', 'k1'), 1);
    ledger.add(usage('b', 'k2'), 2);
    ledger.add(usage('a', 'k3'), 1);
    assert.deepEqual(ledger.drainChanged().sort(), ['claude-code:a', 'claude-code:b']);
    assert.deepEqual(ledger.drainChanged(), []);
    // The last session touched before the drain changes again: it must be reported again.
    ledger.add(usage('a', 'k4'), 1);
    assert.deepEqual(ledger.drainChanged(), ['claude-code:a']);
    ledger.add(usage('b', 'k5'), 2);
    ledger.add(usage('b', 'k6'), 2);
    assert.deepEqual(ledger.drainChanged(), ['claude-code:b']);
  });

  it('starts a removed file afresh when it is read again', () => {
    const ledger = new Ledger(createPricer());
    ledger.add(usage('a', 'k1'), 1);
    ledger.add(usage('a', 'k2'), 1);
    ledger.removeFile(1);
    assert.deepEqual(ledger.recordsOfFile(1), []);
    assert.equal(ledger.summaries().length, 0);
    ledger.add(usage('a', 'k1', 300), 1);
    assert.deepEqual(
      ledger.recordsOfFile(1).map((r) => [r.key, r.inputTokens]),
      [['k1', 300]],
    );
    assert.equal(ledger.summaries()[0].inputTokens, 300);
  });

  it('keeps sessions of the same id apart by agent', () => {
    const ledger = new Ledger(createPricer());
    ledger.add(usage('same', 'k1'), 1);
    ledger.add({ ...usage('same', 'k2'), agent: 'codex', model: 'gpt-5' }, 2);
    ledger.add(usage('same', 'k3'), 1);
    const totals = ledger.summaries().map((s) => [s.agent, s.requests]).sort();
    assert.deepEqual(totals, [
      ['claude-code', 2],
      ['codex', 1],
    ]);
  });
});
