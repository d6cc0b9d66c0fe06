import * as assert from 'node:assert/strict';
import type { ActivityEvent } from '../../src/core/sources/types';
import { claudeAssistant, claudeUser, Scratch } from './helpers/fixtures';

const S = '11111111-2222-3333-4444-555555555555';
const P = 'claude/projects/-work-project';

describe('Claude Code source', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('counts a streamed message once, at its largest copy', () => {
    const base = { session: S, id: 'msg_1', requestId: 'req_1', ts: '2026-11-01T10:00:00.000Z' };
    scratch.write(
      `${P}/${S}.jsonl`,
      claudeAssistant({ ...base, usage: { input: 10, cacheWrite: 100, cacheRead: 1000, output: 5 }, content: [{ type: 'thinking', thinking: 'x' }] }) +
        claudeAssistant({ ...base, usage: { input: 10, cacheWrite: 100, cacheRead: 1000, output: 5 }, content: [{ type: 'text', text: 'y' }] }) +
        claudeAssistant({ ...base, usage: { input: 10, cacheWrite: 100, cacheRead: 1000, output: 240 }, content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] }),
    );
    const engine = scratch.engine();
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.sessionId, S);
    assert.deepEqual([s.inputTokens, s.outputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.totalTokens, s.requests], [10, 240, 100, 1000, 1350, 1]);
  });

  it('finds the content array after a bracket in the folder name', () => {
    // The content array is looked for as the line's first `[`; one in the folder comes first.
    scratch.write(
      `${P}/${S}.jsonl`,
      claudeAssistant({ session: S, id: 'm1', requestId: 'r1', ts: '2026-11-01T10:00:00.000Z', cwd: '/work/[draft] p', usage: { input: 3, output: 7 }, content: [{ type: 'text', text: '[x]' }] }),
    );
    const engine = scratch.engine();
    assert.deepEqual(engine.start().skips, []);
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.cwd, s.inputTokens, s.outputTokens], ['/work/[draft] p', 3, 7]);
  });

  it('reads each line whole around its skipped content, however long the rest of the line', () => {
    // The content array is cut out before decoding: the bytes around it must be joined exactly,
    // for a line longer than the decoder's first buffer and for the short line after it.
    const longCwd = `/work/${'ü'.repeat(30_000)}`;
    scratch.write(
      `${P}/${S}.jsonl`,
      claudeAssistant({ session: S, id: 'm1', requestId: 'r1', ts: '2026-11-01T10:00:00.000Z', cwd: longCwd, usage: { input: 3, output: 7 }, content: [{ type: 'text', text: 'x'.repeat(50_000) }] }) +
        claudeAssistant({ session: S, id: 'm2', requestId: 'r2', ts: '2026-11-01T10:00:01.000Z', cwd: '/work/p', usage: { input: 5, output: 11 } }),
    );
    const engine = scratch.engine();
    const stats = engine.start();
    assert.deepEqual(stats.skips, []);
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests], [8, 18, 2]);
    assert.equal(s.cwd, '/work/p');
  });

  it('ignores progress records, synthetic errors and assistant lines without usage', () => {
    const progress = JSON.stringify({
      type: 'progress',
      sessionId: S,
      timestamp: '2026-11-01T10:00:01.000Z',
      data: { message: { type: 'assistant', message: { id: 'msg_sub', model: 'claude-haiku-4-5-20251001', usage: { input_tokens: 999, output_tokens: 999 } } } },
    });
    const synthetic = claudeAssistant({ session: S, id: 'msg_s', requestId: 'req_s', model: '<synthetic>', ts: '2026-11-01T10:00:02.000Z', usage: { input: 0, output: 0 } });
    scratch.write(
      `${P}/${S}.jsonl`,
      `${progress}\n${synthetic}${claudeAssistant({ session: S, id: 'msg_2', requestId: 'req_2', ts: '2026-11-01T10:00:03.000Z', usage: { input: 3, output: 4 } })}`,
    );
    const engine = scratch.engine();
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.totalTokens, s.requests, s.models], [7, 1, ['claude-sonnet-4-5-20250929']]);
  });

  it('gives subagent and compaction transcripts to the parent session, without counting replays twice', () => {
    const main = claudeAssistant({ session: S, id: 'msg_a', requestId: 'req_a', ts: '2026-11-01T10:00:00.000Z', usage: { input: 1, output: 2, cacheRead: 300 } });
    scratch.write(`${P}/${S}.jsonl`, main);
    scratch.write(
      `${P}/${S}/subagents/agent-abc123.jsonl`,
      // The sidechain replays the main thread's message, then does its own work.
      main.replace('"isSidechain":false', '"isSidechain":true') +
        claudeAssistant({ session: S, id: 'msg_b', requestId: 'req_b', model: 'claude-haiku-4-5-20251001', ts: '2026-11-01T10:00:05.000Z', usage: { input: 50, output: 60 }, sidechain: true }),
    );
    scratch.write(`${P}/${S}/subagents/agent-acompact-9f.jsonl`, claudeAssistant({ session: S, id: 'msg_c', requestId: 'req_c', ts: '2026-11-01T10:01:00.000Z', usage: { cacheWrite: 121689, cacheRead: 17842 }, sidechain: true }));
    const engine = scratch.engine();
    engine.start();
    const sessions = engine.ledger.summaries();
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].totalTokens, 303 + 110 + 121689 + 17842);
    assert.deepEqual(sessions[0].models, ['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929']);
  });

  it('keeps the 5-minute / 1-hour cache-write split and prices each at its rate', () => {
    scratch.write(`${P}/${S}.jsonl`, claudeAssistant({ session: S, id: 'm', requestId: 'r', ts: '2026-11-01T10:00:00.000Z', usage: { cacheWrite: 100_000, cacheWrite1h: 40_000 } }));
    const engine = scratch.engine();
    engine.start();
    const [r] = engine.ledger.sessionRecords('claude-code', S);
    assert.equal(r.cacheWrite5mTokens, 60_000);
    assert.equal(r.cacheWrite1hTokens, 40_000);
    // Sonnet 4.5 under 200k input: $3.75/M for 5-minute writes, $6/M for 1-hour writes.
    assert.ok(Math.abs(r.costUSD! - (0.06 * 3.75 + 0.04 * 6)) < 1e-9, `cost ${r.costUSD}`);
  });

  it('shows an unknown model as unpriced, not $0', () => {
    scratch.write(`${P}/${S}.jsonl`, claudeAssistant({ session: S, id: 'm', requestId: 'r', model: 'claude-imaginary-9', ts: '2026-11-01T10:00:00.000Z', usage: { input: 5, output: 5 } }));
    const engine = scratch.engine();
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.costUSD, null);
    assert.deepEqual(s.unpricedModels, ['claude-imaginary-9']);
  });

  it('counts and skips malformed, truncated and binary lines without losing good records', () => {
    const good = (n: number) => claudeAssistant({ session: S, id: `m${n}`, requestId: `r${n}`, ts: `2026-11-01T10:00:0${n}.000Z`, usage: { input: n, output: 1 } });
    const truncated = good(9).slice(0, 200);
    scratch.write(`${P}/${S}.jsonl`, Buffer.concat([Buffer.from(good(1) + `${truncated}\n{"usage": nope}\n`), Buffer.from([0, 159, 146, 150, 10]), Buffer.from(good(2) + good(3).slice(0, 120))]));
    const engine = scratch.engine();
    const stats = engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.totalTokens, 1 + 1 + 2 + 1, 'the two good records only; the unterminated last line waits for its newline');
    const reasons = stats.skips.map((k) => k.reason).sort();
    assert.deepEqual(reasons, ['binary', 'malformed-json', 'malformed-json']);
  });

  it('emits activity: session start, user turns, tool calls with stable hashes, tool errors by name', () => {
    const events: ActivityEvent[] = [];
    const ts = (s: number) => `2026-11-01T10:00:${String(s).padStart(2, '0')}.000Z`;
    scratch.write(
      `${P}/${S}.jsonl`,
      claudeUser({ session: S, ts: ts(0), content: 'fix the bug' }) +
        claudeAssistant({ session: S, id: 'm1', requestId: 'r1', ts: ts(1), usage: { output: 1 }, content: [{ type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'cat  x.txt', description: 'd' } }] }) +
        claudeUser({ session: S, ts: ts(2), content: [{ type: 'tool_result', tool_use_id: 'tu1', is_error: true, content: 'cat: x.txt: No such file (pid 4711)' }] }) +
        claudeAssistant({ session: S, id: 'm2', requestId: 'r2', ts: ts(3), usage: { output: 1 }, content: [{ type: 'tool_use', id: 'tu2', name: 'Bash', input: { description: 'd', command: 'cat x.txt' } }] }) +
        claudeUser({ session: S, ts: ts(4), content: [{ type: 'tool_result', tool_use_id: 'tu2', is_error: true, content: 'cat: x.txt: No such file (pid 4712)' }] }) +
        claudeUser({ session: S, ts: ts(5), content: [{ type: 'tool_result', tool_use_id: 'tu2', content: 'fine' }] }),
    );
    scratch.engine({ activity: events }).start();
    assert.deepEqual(
      events.filter((e) => e.kind !== 'context').map((e) => e.kind),
      ['session', 'userTurn', 'toolCall', 'toolError', 'toolCall', 'toolError'],
    );
    const calls = events.filter((e) => e.kind === 'toolCall');
    const errors = events.filter((e) => e.kind === 'toolError');
    assert.equal(calls[0].argsHash, calls[1].argsHash, 'white space and key order do not change the hash');
    assert.equal(errors[0].errorHash, errors[1].errorHash, 'numbers in the error text do not change the hash');
    assert.equal(errors[0].name, 'Bash');
  });
});

describe('Claude Code pricing edge', () => {
  it('names a known model unpriced when a request of it cannot be priced (fast mode), keeping the rest', () => {
    const scratch = new Scratch();
    try {
      const S2 = '22222222-2222-3333-4444-555555555555';
      scratch.write(
        `claude/projects/-p/${S2}.jsonl`,
        claudeAssistant({ session: S2, id: 'm1', requestId: 'r1', model: 'claude-opus-4-6', ts: '2026-11-01T10:00:00.000Z', usage: { input: 1_000_000 / 1000, output: 0 } }) +
          claudeAssistant({ session: S2, id: 'm2', requestId: 'r2', model: 'claude-opus-4-6', ts: '2026-11-01T10:00:01.000Z', usage: { input: 1000, output: 0, speed: 'fast' } }),
      );
      const engine = scratch.engine();
      engine.start();
      const [s] = engine.ledger.summaries();
      assert.deepEqual(s.unpricedModels, ['claude-opus-4-6']);
      assert.ok(s.costUSD !== null && Math.abs(s.costUSD - 1000 * 5e-6) < 1e-12, `only the standard request is priced: ${s.costUSD}`);
    } finally {
      scratch.dispose();
    }
  });
});
