import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentsEngine, geminiDocument, geminiMessage } from './helpers/agents';
import { failNextRead, Scratch } from './helpers/fixtures';

const FILE = 'home/.gemini/tmp/p/chats/session-2026-06-05T04-59-aaaaaaaa.json';

/** The scanner's whole-document mode, through the Gemini CLI `.json` source. */
describe('Scanner document mode', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  const one = geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z', tokens: { input: 100, output: 10 } });
  const two = geminiMessage({ id: 'm2', ts: '2026-06-05T05:01:00.000Z', tokens: { input: 200, output: 20 } });

  it('replaces, never doubles, the records of a rewritten document', () => {
    scratch.write(FILE, geminiDocument('s', [one]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    scratch.write(FILE, geminiDocument('s', [one, two]));
    engine.refresh();
    scratch.write(FILE, geminiDocument('s', [one, two]) + ' '); // rewritten again, same records
    engine.refresh();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.totalTokens, s.requests], [330, 2]);
  });

  it('keeps the last good parse while the document is half-written, then takes the new one', () => {
    scratch.write(FILE, geminiDocument('s', [one]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const full = geminiDocument('s', [one, two]);
    scratch.write(FILE, full.slice(0, Math.floor(full.length / 2)));
    const stats = engine.refresh();
    assert.ok(stats.skips.some((s) => s.reason === 'malformed-json'));
    assert.deepEqual([engine.ledger.summaries()[0].totalTokens], [110]);
    scratch.write(FILE, full);
    engine.refresh();
    assert.deepEqual([engine.ledger.summaries()[0].totalTokens], [330]);
  });

  it('reads a document again at the next scan when reading it failed, though its size and time are unchanged', () => {
    scratch.write(FILE, geminiDocument('s', [one]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    scratch.write(FILE, geminiDocument('s', [one, two]));
    const restore = failNextRead(); // this read fails, the next ones succeed
    try {
      const failed = engine.refresh();
      assert.deepEqual(failed.skipCounts, { 'unreadable-file': 1 });
      assert.equal(engine.ledger.summaries()[0].totalTokens, 110, 'the last good parse stands');
    } finally {
      restore();
    }
    assert.equal(engine.refresh().filesRead, 1);
    assert.equal(engine.ledger.summaries()[0].totalTokens, 330);
  });

  it('re-reads a document replaced by rename (a new inode) without a truncation skip', () => {
    scratch.write(FILE, geminiDocument('s', [one]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const tmp = scratch.write('tmp.json', geminiDocument('s', [one, two]));
    fs.renameSync(tmp, path.join(scratch.dir, FILE));
    const stats = engine.refresh();
    assert.ok(!stats.skips.some((s) => s.reason === 'file-truncated'));
    assert.equal(engine.ledger.summaries()[0].totalTokens, 330);
  });

  it('does not read an unchanged document again, and survives a restart from the index', () => {
    scratch.write(FILE, geminiDocument('s', [one, two]));
    const first = agentsEngine(scratch, { agents: ['gemini-cli'], state: true });
    first.start();
    assert.equal(first.refresh().filesRead, 0);
    const second = agentsEngine(scratch, { agents: ['gemini-cli'], state: true });
    const stats = second.start();
    assert.equal(stats.filesRead, 0);
    assert.equal(second.ledger.summaries()[0].totalTokens, 330);
  });
});
