import * as assert from 'node:assert/strict';
import { codexSource } from '../../src/core/sources/codex/codexSource';
import { codexMeta, codexTokens, codexTurn, Scratch } from './helpers/fixtures';

const ID = '019c8a70-dda7-7f33-98ea-f30553347322';
const FILE = `codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-${ID}.jsonl`;
const t = (s: number) => `2026-11-01T10:00:${String(s).padStart(2, '0')}.000Z`;

describe('Codex source', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  /** The one session of a rollout that starts with its meta line and a turn on `model`, then `events`. */
  const sessionOf = (model: string, events: string) => {
    scratch.write(FILE, codexMeta({ id: ID, ts: t(0) }) + codexTurn({ ts: t(0), model }) + events);
    const engine = scratch.engine();
    engine.start();
    const [s] = engine.ledger.summaries();
    return s;
  };

  it('differences cumulative totals, skipping re-emitted and null events', () => {
    const s = sessionOf(
      'gpt-5-codex',
      codexTokens({ ts: t(1), info: null }) +
        codexTokens({ ts: t(2), total: { input: 1000, cached: 200, output: 50, reasoning: 20 }, last: { input: 1000, cached: 200, output: 50, reasoning: 20 } }) +
        codexTokens({ ts: t(3), total: { input: 1000, cached: 200, output: 50, reasoning: 20 }, last: { input: 1000, cached: 200, output: 50, reasoning: 20 } }) +
        codexTokens({ ts: t(4), total: { input: 2500, cached: 1200, output: 80, reasoning: 30 }, last: { input: 1500, cached: 1000, output: 30, reasoning: 10 } }),
    );
    assert.equal(s.sessionId, ID);
    assert.equal(s.cwd, '/work/project');
    assert.deepEqual(
      [s.inputTokens, s.cacheReadTokens, s.outputTokens, s.reasoningOutputTokens, s.totalTokens, s.requests],
      [2500 - 1200, 1200, 80, 30, 2580, 2],
    );
  });

  it('reads a line by its own type fields, and a line in another key order by searching it whole', () => {
    const reordered = (line: string) => {
      const { timestamp, type, payload } = JSON.parse(line) as { timestamp: string; type: string; payload: unknown };
      return `${JSON.stringify({ payload, type, timestamp })}\n`;
    };
    // A tool output that quotes a token_count event is not one.
    const quoted = `${JSON.stringify({ timestamp: t(2), type: 'response_item', payload: { type: 'function_call_output', call_id: 'c1', output: codexTokens({ ts: t(2), total: { input: 9, cached: 0, output: 9 } }) } })}\n`;
    scratch.write(
      FILE,
      codexMeta({ id: ID, ts: t(0) }) +
        reordered(codexTurn({ ts: t(0), model: 'gpt-5-codex' })) +
        quoted +
        codexTokens({ ts: t(3), total: { input: 1000, cached: 200, output: 50 } }) +
        reordered(codexTokens({ ts: t(4), total: { input: 2500, cached: 1200, output: 80 } })),
    );
    const engine = scratch.engine();
    const stats = engine.start();
    assert.equal(stats.skips.length, 0);
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.models, s.requests, s.inputTokens, s.cacheReadTokens, s.outputTokens], [['gpt-5-codex'], 2, 2500 - 1200, 1200, 80]);
  });

  it('reads a short line that ends where the read buffer ends', () => {
    // Its type is read from its first bytes; the payload check must not look past the buffer.
    const line = Buffer.from(`{"timestamp":"${t(1)}","type":"x"}\n`);
    const skips: string[] = [];
    const parser = codexSource.createParser('/tmp/rollout-x.jsonl', { usage: () => undefined, skip: (s) => skips.push(s.reason) }, { activity: true });
    assert.equal(parser.parse(line, line.length, 0), line.length);
    assert.deepEqual(skips, []);
  });

  it('falls back to last_token_usage when the total is missing or drops', () => {
    const s = sessionOf(
      'gpt-5',
      codexTokens({ ts: t(1), total: { input: 5000, cached: 0, output: 100 }, last: { input: 5000, cached: 0, output: 100 } }) +
        // compaction: the counter restarts
        codexTokens({ ts: t(2), total: { input: 300, cached: 0, output: 10 }, last: { input: 300, cached: 0, output: 10 } }) +
        codexTokens({ ts: t(3), last: { input: 40, cached: 10, output: 4 } }) +
        codexTokens({ ts: t(4), total: { input: 700, cached: 100, output: 30 }, last: { input: 400, cached: 100, output: 20 } }),
    );
    // 5100, then 310 after the drop, 44 without a total (the running total becomes 354), then
    // its own 420: the total rose by 376 only, less than the event's own usage, so it restarted
    // (ccusage 20.0.24 counts the same 5874).
    assert.equal(s.totalTokens, 5100 + 310 + 44 + 420);
    assert.equal(s.cacheReadTokens, 10 + 100);
  });

  it('takes the difference of totals when it exceeds the last usage (events not logged), and the last usage when the total restarted above the old one', () => {
    const s = sessionOf(
      'gpt-5',
      codexTokens({ ts: t(1), total: { input: 1000, cached: 0, output: 50 }, last: { input: 1000, cached: 0, output: 50 } }) +
        // Two requests since, one of them without an event of its own: the total holds both.
        codexTokens({ ts: t(2), total: { input: 3000, cached: 800, output: 150 }, last: { input: 1200, cached: 500, output: 60 } }) +
        // Resumed: the count restarts, at more than the old total (10000 > 3000, 2000 > 800, 400 > 150).
        codexTokens({ ts: t(3), total: { input: 10000, cached: 2000, output: 400 }, last: { input: 10000, cached: 2000, output: 400 } }) +
        codexTokens({ ts: t(4), total: { input: 10500, cached: 2300, output: 420 }, last: { input: 500, cached: 300, output: 20 } }),
    );
    assert.deepEqual(
      [s.inputTokens + s.cacheReadTokens, s.cacheReadTokens, s.outputTokens, s.requests],
      [1000 + 2000 + 10000 + 500, 800 + 2000 + 300, 50 + 100 + 400 + 20, 4],
    );
  });

  it('takes the model from the latest turn_context', () => {
    const s = sessionOf(
      'gpt-5',
      codexTokens({ ts: t(1), total: { input: 100, cached: 0, output: 10 } }) +
        codexTurn({ ts: t(2), model: 'gpt-5-mini' }) +
        codexTokens({ ts: t(3), total: { input: 300, cached: 0, output: 30 } }),
    );
    assert.deepEqual(s.byModel.map((m) => [m.model, m.totalTokens]).sort(), [['gpt-5', 110], ['gpt-5-mini', 220]]);
  });

  it('counts a forked rollout that replays its parent, and an archived copy, once', () => {
    const parent = codexMeta({ id: ID, ts: t(0) }) + codexTurn({ ts: t(0), model: 'gpt-5' }) + codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } });
    scratch.write(FILE, parent);
    scratch.write(`codex/archived_sessions/rollout-2026-11-01T10-00-00-${ID}.jsonl`, parent);
    const fork = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    scratch.write(
      `codex/sessions/2026/11/01/rollout-2026-11-01T10-05-00-${fork}.jsonl`,
      codexMeta({ id: fork, ts: t(30) }) +
        codexTurn({ ts: t(0), model: 'gpt-5' }) +
        codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } }) +
        codexTokens({ ts: t(40), total: { input: 1600, cached: 300, output: 450 } }),
    );
    const engine = scratch.engine();
    engine.start();
    const byId = Object.fromEntries(engine.ledger.summaries().map((s) => [s.sessionId, s.totalTokens]));
    assert.deepEqual(byId, { [ID]: 1200, [fork]: 850 });
  });

  it('gives a replayed event to the parent even when the parent is read after the fork', () => {
    const fork = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    scratch.write(
      `codex/sessions/2026/11/01/rollout-2026-11-01T10-05-00-${fork}.jsonl`,
      codexMeta({ id: fork, ts: t(30) }) + codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } }) + codexTokens({ ts: t(40), total: { input: 1100, cached: 100, output: 250 } }),
    );
    const engine = scratch.engine();
    engine.start();
    // The parent's events reach the ledger while its file is being read: it must already be
    // known to have started first.
    scratch.write(FILE, codexMeta({ id: ID, ts: t(0) }) + codexTurn({ ts: t(0), model: 'gpt-5' }) + codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } }));
    engine.refresh();
    const byId = Object.fromEntries(engine.ledger.summaries().map((s) => [s.sessionId, s.totalTokens]));
    assert.deepEqual(byId, { [ID]: 1200, [fork]: 150 });
  });

  it("gives a replayed event to the parent even when the fork's path sorts first", () => {
    const parent = codexMeta({ id: ID, ts: t(0) }) + codexTurn({ ts: t(0), model: 'gpt-5' }) + codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } });
    scratch.write(FILE, parent);
    const fork = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    // archived_sessions/… sorts before sessions/…: order of reading must not decide ownership.
    scratch.write(
      `codex/archived_sessions/rollout-2026-11-01T10-05-00-${fork}.jsonl`,
      codexMeta({ id: fork, ts: t(30) }) + codexTokens({ ts: t(1), total: { input: 1000, cached: 100, output: 200 } }) + codexTokens({ ts: t(40), total: { input: 1100, cached: 100, output: 250 } }),
    );
    const engine = scratch.engine();
    engine.start();
    const byId = Object.fromEntries(engine.ledger.summaries().map((s) => [s.sessionId, s.totalTokens]));
    assert.deepEqual(byId, { [ID]: 1200, [fork]: 150 });
  });
});
