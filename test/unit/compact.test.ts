import * as assert from 'node:assert/strict';
import type { Engine } from '../../src/core/engine';
import { claudeAssistant, codexMeta, codexTokens, codexTurn, Scratch } from './helpers/fixtures';

const S = '11111111-2222-3333-4444-555555555555';
const CLAUDE = `claude/projects/-work-app/${S}.jsonl`;
const SUBAGENT = `claude/projects/-work-app/${S}/subagents/agent-a1.jsonl`;
const ID = '019c8a70-dda7-7f33-98ea-f30553347322';
const CODEX = `codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-${ID}.jsonl`;
const t = (s: number) => `2026-11-01T10:00:${String(s).padStart(2, '0')}.000Z`;
const claude = (n: number, output: number, cwd = '/work/app') => claudeAssistant({ session: S, id: `m${n}`, requestId: `r${n}`, ts: t(n), usage: { input: 10 * n, output, cacheRead: 100 }, cwd });

/** Dollars to the nano-dollar, as the CLI prints them: sums in another order differ in a double's last bits. */
const nano = (usd: number | null) => (usd === null ? null : Math.round(usd * 1e9));

/** Everything a reader of the ledger sees: the sessions, each session's records, its folder. */
function view(engine: Engine) {
  return engine.ledger.summaries().map((s) => ({
    summary: { ...s, costUSD: nano(s.costUSD), byModel: s.byModel.map((m) => ({ ...m, costUSD: nano(m.costUSD) })) },
    cwd: engine.ledger.sessionCwd(s.agent, s.sessionId),
    records: engine.ledger.sessionRecords(s.agent, s.sessionId).map((r) => [r.key, r.timestamp, r.model, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.costUSD]),
  }));
}

describe('packing the records of a cold start (the editor, after its first scan)', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = new Scratch();
    // A streamed copy (m2 twice, the second larger), a subagent replaying m1, and a Codex rollout.
    scratch.write(CLAUDE, claude(1, 5) + claude(2, 1) + claude(2, 9) + claude(3, 4));
    scratch.write(SUBAGENT, claude(1, 5) + claude(4, 6));
    scratch.write(
      CODEX,
      codexMeta({ id: ID, ts: t(0), cwd: '/work/cli' }) +
        codexTurn({ ts: t(0), model: 'gpt-5-codex' }) +
        codexTokens({ ts: t(2), total: { input: 1000, cached: 200, output: 50, reasoning: 20 } }) +
        codexTokens({ ts: t(4), total: { input: 2500, cached: 1200, output: 80, reasoning: 30 } }),
    );
  });
  afterEach(() => scratch.dispose());

  it('holds the same sessions, records and folders, as numbers', () => {
    const engine = scratch.engine({ state: true });
    engine.start();
    const before = view(engine);
    const ids = engine.scanner.fileStates().map((f) => f.id);
    assert.ok(ids.every((id) => engine.ledger.recordsOfFile(id).length > 0), 'a cold start holds objects');
    const generation = engine.ledger.generation;

    assert.equal(engine.compact(), true);
    assert.ok(ids.every((id) => engine.ledger.recordsOfFile(id).length === 0 && engine.ledger.packedBlock(id) !== undefined), 'every file packed');
    assert.ok(engine.ledger.generation > generation, 'readers see a new generation');
    assert.deepEqual(view(engine), before);
  });

  it('keeps counting exactly as the logs grow: new requests, larger streamed copies, replays', () => {
    const engine = scratch.engine({ state: true });
    engine.start();
    engine.compact();
    scratch.append(CLAUDE, claude(3, 12) + claude(5, 2)); // m3's later, larger copy; a new request
    scratch.append(SUBAGENT, claude(2, 9)); // a replay of a request the main file holds
    scratch.append(CODEX, codexTokens({ ts: t(6), total: { input: 4000, cached: 2000, output: 100, reasoning: 40 } }));
    engine.refresh();
    const fresh = scratch.engine();
    fresh.start();
    assert.deepEqual(view(engine), view(fresh), 'the same as a cold read of the grown logs');
  });

  it('does nothing without a state folder (the packed form is the index’s)', () => {
    const engine = scratch.engine();
    engine.start();
    assert.equal(engine.compact(), false);
    assert.ok(engine.scanner.fileStates().every((f) => engine.ledger.recordsOfFile(f.id).length > 0));
  });
});
