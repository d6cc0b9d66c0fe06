import * as assert from 'node:assert/strict';
import { Ledger } from '../../src/core/ledger/ledger';
import { createPricer } from '../../src/core/pricing/pricer';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import zlib = require('node:zlib');
import { crc32Slowly, decodeIndex, encodeIndex, IndexError, loadIndex, recordNamesHold, recordNamesHoldSlowly, saveIndex } from '../../src/core/scan/indexStore';
import { writeFileAtomic } from '../../src/core/util/atomicWrite';
import { PACKED_FIELDS } from '../../src/core/ledger/ledger';
import type { FileState } from '../../src/core/scan/scanner';
import { meterView } from '../../src/core/meter/meterView';

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

  it('refuses numbers that do not hold together even under a good checksum (a writer bug), and adds nothing', () => {
    const ledger = new Ledger(createPricer());
    ledger.add(record, 1);
    const good = encodeIndex([file], ledger);
    const bodyStart = (16 + good.readUInt32LE(8) + 7) & ~7;
    // File numbers: id, agent, size, mtime, inode, offset, records, key bytes, parts; then the part.
    const damages: Array<[string, number, number]> = [
      ['a fractional record count', bodyStart + 6 * 8, 0.5],
      ['an agent not in the table', bodyStart + 1 * 8, 7],
      ['a negative part count', bodyStart + 8 * 8, -1],
      ["a part's session not in the name table", bodyStart + 9 * 8, 99],
    ];
    for (const [what, at, value] of damages) {
      const bad = Buffer.from(good);
      bad.writeDoubleLE(value, at);
      bad.writeUInt32LE(zlib.crc32(bad.subarray(16)) >>> 0, 12);
      const into = new Ledger(createPricer());
      assert.throws(() => decodeIndex(bad, into), IndexError, what);
      assert.equal(into.summaries().length, 0, `${what}: nothing restored`);
    }
    const restored = new Ledger(createPricer());
    decodeIndex(good, restored);
    assert.equal(restored.summaries()[0].requests, 1);
  });
});

describe('the key index of packed files', () => {
  const state = (id: number): FileState => ({ id, path: `/logs/${id}.jsonl`, agent: 'claude-code', size: 1, mtimeMs: 1, ino: id, offset: 1, parserState: undefined, skips: {} });
  const request = (key: string, outputTokens: number) => ({
    agent: 'claude-code' as const,
    sessionId: 's',
    key,
    timestamp: Date.UTC(2026, 10, 1),
    model: 'claude-sonnet-4-5-20250929',
    inputTokens: 10,
    outputTokens,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
  });

  it('still finds which packed file holds a request after file ids outgrew the bits an earlier save gave them', () => {
    const first = new Ledger(createPricer());
    first.add(request('msg_1:req_1', 5), 1);
    // Saved with ids up to 1 (one bit), restored packed, saved again beside a file with id 1000.
    const restored = new Ledger(createPricer());
    decodeIndex(encodeIndex([state(1)], first), restored);
    restored.add(request('msg_2:req_2', 7), 1000);
    const again = new Ledger(createPricer());
    decodeIndex(encodeIndex([state(1), state(1000)], restored), again);
    assert.equal(again.summaries()[0].requests, 2);
    // A larger copy of the first request in a third file: the packed copy must be found and lose.
    again.add(request('msg_1:req_1', 50), 1001);
    again.add(request('msg_2:req_2', 7), 1002);
    const [s] = again.summaries();
    assert.deepEqual([s.requests, s.outputTokens], [2, 57]);
  });

  it('restores a file whose saved parts name a session twice (packed, another session, then new records)', () => {
    const first = new Ledger(createPricer());
    first.add(request('msg_1:req_1', 5), 1);
    first.add({ ...request('msg_2:req_2', 6), sessionId: 't' }, 1);
    const restored = new Ledger(createPricer());
    decodeIndex(encodeIndex([state(1)], first), restored);
    // A new request of session "s" appended to the same file, which stays packed: the file's
    // parts are then s and t (packed) and s again (the new record).
    restored.add(request('msg_3:req_3', 7), 1);
    assert.deepEqual(restored.packedPartsOf(1).map((p) => p[0]), ['s', 't']);
    assert.deepEqual(restored.recordsOfFile(1).map((r) => r.sessionId), ['s']);
    const again = new Ledger(createPricer());
    decodeIndex(encodeIndex([state(1)], restored), again);
    const bySession = new Map(again.summaries().map((x) => [x.sessionId, [x.requests, x.outputTokens]]));
    assert.deepEqual(bySession.get('s'), [2, 12]);
    assert.deepEqual(bySession.get('t'), [1, 6]);
  });
});

describe("the index's parts (each file's totals per session and model)", () => {
  it('sum exactly the counted records of each file, sessions and models interleaved', () => {
    const at = (minute: number) => Date.UTC(2026, 10, 1, 10, minute);
    const request = (key: string, sessionId: string, model: string, minute: number, outputTokens: number, estimated?: boolean) => ({
      agent: 'claude-code' as const,
      sessionId,
      key,
      timestamp: at(minute),
      model,
      inputTokens: 100 + minute,
      outputTokens,
      cacheWrite5mTokens: 10,
      cacheWrite1hTokens: 20,
      cacheReadTokens: 1000,
      reasoningOutputTokens: 0,
      estimated,
    });
    const ledger = new Ledger(createPricer());
    ledger.add(request('a', 's', 'claude-sonnet-4-5-20250929', 5, 7), 1);
    ledger.add(request('b', 't', 'claude-opus-4-5-20251101', 1, 8), 1);
    ledger.add(request('c', 's', 'claude-sonnet-4-5-20250929', 9, 9), 1);
    ledger.add(request('d', 's', 'model-nobody-prices', 3, 10), 1);
    ledger.add(request('e', 't', 'claude-opus-4-5-20251101', 2, 11, true), 1);
    ledger.add(request('f', 's', 'claude-sonnet-4-5-20250929', 4, 12), 1);
    // A larger copy of "a" in file 2: file 1's copy is kept but no longer counted.
    ledger.add(request('a', 's', 'claude-sonnet-4-5-20250929', 5, 70), 2);
    const restored = new Ledger(createPricer());
    const files: FileState[] = [1, 2].map((id) => ({ id, path: `/logs/${id}.jsonl`, agent: 'claude-code', size: 10, mtimeMs: 1, ino: id, offset: 10, parserState: undefined, skips: {} }));
    decodeIndex(encodeIndex(files, ledger), restored);
    assert.deepEqual(restored.summaries(), ledger.summaries());
    const [s] = restored.summaries().filter((x) => x.sessionId === 's');
    assert.deepEqual([s.requests, s.outputTokens, s.firstActivity, s.lastActivity, s.unpricedModels], [4, 70 + 9 + 10 + 12, at(3), at(9), ['model-nobody-prices']]);
  });
});

describe('estimated counts', () => {
  it('carry their mark through the ledger, the index and the meter', () => {
    const ledger = new Ledger(createPricer());
    const base = { agent: 'claude-code' as const, sessionId: 's', timestamp: Date.UTC(2026, 10, 1), model: 'claude-sonnet-4-5-20250929', outputTokens: 10, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, reasoningOutputTokens: 0 };
    ledger.add({ ...base, key: 'a', inputTokens: 100 }, 1);
    assert.equal(ledger.summaries()[0].estimated, false);
    ledger.add({ ...base, key: 'b', inputTokens: 50, estimated: true }, 1);
    assert.equal(ledger.summaries()[0].estimated, true);
    const restored = new Ledger(createPricer());
    decodeIndex(encodeIndex([{ id: 1, path: '/l.jsonl', agent: 'claude-code', size: 1, mtimeMs: 1, ino: 1, offset: 1, parserState: undefined, skips: {} }], ledger), restored);
    const [s] = restored.summaries();
    assert.equal(s.estimated, true, 'packed after a restart');
    assert.equal(s.totalTokens, 170);
    const view = meterView({ now: Date.UTC(2026, 10, 1), numbers: { ...s, sessions: [], unpricedModels: [] }, warningAt: 80, errorAt: 100 });
    assert.match(view.text, /^\$\(pulse\) ≈\$[\d.]+ today · ≈170$/);
    assert.match(view.tooltip, /\(estimated\)/);
    assert.equal(restored.sessionRecords('claude-code', 's').filter((r) => r.estimated).length, 1, 'unpacked records keep the mark');
  });
});

describe("the index's check of record names", () => {
  /** Records' numbers with each one's session, model, speed and provider set (the rest 7). */
  const records = (names: Array<[number, number, number, number]>) => {
    const numbers = new Float64Array(names.length * PACKED_FIELDS).fill(7);
    names.forEach(([s, m, sp, pr], i) => {
      const at = i * PACKED_FIELDS;
      numbers[at] = s;
      numbers[at + 1] = m;
      numbers[at + 9] = sp;
      numbers[at + 12] = pr;
    });
    return numbers;
  };
  const fast = (numbers: Float64Array, names: number) => recordNamesHold(new Int32Array(numbers.buffer), names);

  it('reads the halves of each double as the doubles themselves would be compared', () => {
    const odd = [0, 1, 2, 9, 10, 11, 1023, 1024, 2 ** 20, 2 ** 21, -1, -1 - 2 ** -52, -2, -0.5, 0.5, 9.999, NaN, Infinity, -Infinity, 2 ** 53, Number.MIN_VALUE];
    let rejected = 0;
    for (const names of [0, 1, 10, 1024, 2 ** 21 - 1]) {
      for (const x of odd) {
        for (let field = 0; field < 4; field++) {
          const name: [number, number, number, number] = [0, 0, -1, -1];
          name[field] = x;
          const numbers = records([name]);
          const expected = recordNamesHoldSlowly(numbers, names);
          assert.equal(fast(numbers, names), expected, `names ${names}, field ${field} = ${x}`);
          if (!expected) rejected++;
        }
      }
    }
    assert.ok(rejected > 100, `most odd values are refused (${rejected})`);
  });

  it('accepts what the writer writes and refuses a name just past the table', () => {
    assert.equal(fast(records([[0, 1, -1, -1], [2, 1, 0, 3]]), 4), true);
    assert.equal(fast(records([[0, 4, -1, -1]]), 4), false);
    assert.equal(fast(records([[0, 1, -2, -1]]), 4), false);
    assert.equal(fast(records([[0, 1, -1, 4]]), 4), false);
  });
});

describe('saving the index', () => {
  function ledgerWith(files: number, perFile: number): { ledger: Ledger; states: FileState[] } {
    const ledger = new Ledger(createPricer());
    const states: FileState[] = [];
    for (let f = 1; f <= files; f++) {
      states.push({ id: f, path: `/logs/${f}.jsonl`, agent: 'claude-code', size: 10, mtimeMs: 1, ino: f, offset: 10, parserState: { sessionId: `s${f}` }, skips: {} });
      for (let i = 0; i < perFile; i++) {
        ledger.add(
          { agent: 'claude-code', sessionId: `s${f}`, key: `msg_${f}_${i}:req_${i}`, timestamp: Date.UTC(2026, 10, 1, 0, i), model: 'claude-sonnet-4-5-20250929', inputTokens: 10 + i, outputTokens: 5, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 100, reasoningOutputTokens: 0 },
          f,
        );
      }
    }
    return { ledger, states };
  }

  it('writes the same bytes as encodeIndex, piece by piece, in more pieces than one writev call takes', () => {
    // 1,100 files with keys: more pieces than IOV_MAX (1024), so the write takes several calls.
    const { ledger, states } = ledgerWith(1100, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-index-'));
    try {
      const file = path.join(dir, 'index.bin');
      saveIndex(file, states, ledger);
      const saved = fs.readFileSync(file);
      const encoded = encodeIndex(states, ledger);
      // The same bytes after the header (the header holds the time of the save).
      const body = (at: Buffer) => at.subarray((16 + at.readUInt32LE(8) + 7) & ~7);
      assert.equal(saved.length, encoded.length);
      assert.ok(body(saved).equals(body(encoded)));
      assert.equal(saved.readUInt32LE(12), zlib.crc32(saved.subarray(16)) >>> 0, 'checksum over all the pieces');
      assert.deepEqual(fs.readdirSync(dir), ['index.bin'], 'no temporary file left');
      const restored = new Ledger(createPricer());
      assert.equal(loadIndex(file, restored)?.length, 1100);
      assert.deepEqual(restored.summaries(), ledger.summaries());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads back an index whose sections are empty: files without records, records without keys', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-index-'));
    try {
      const file = path.join(dir, 'index.bin');
      const skipped: FileState = { id: 1, path: '/logs/bad.jsonl', agent: 'claude-code', size: 18, mtimeMs: 1, ino: 1, offset: 18, parserState: undefined, skips: { 'malformed-json': 2 } };
      const empty = new Ledger(createPricer());
      saveIndex(file, [skipped], empty);
      const restored = new Ledger(createPricer());
      assert.deepEqual(loadIndex(file, restored), [skipped]);
      // Records, none of them keyed: the key index is the empty section.
      const { ledger: keyed, states } = ledgerWith(1, 2);
      const unkeyed = new Ledger(createPricer());
      for (const r of keyed.recordsOfFile(1)) unkeyed.add({ ...r, key: '' }, 1);
      saveIndex(file, states, unkeyed);
      const back = new Ledger(createPricer());
      assert.equal(loadIndex(file, back)?.length, 1);
      assert.equal(back.summaries()[0].inputTokens, 10 + 11);
      assert.deepEqual(back.summaries(), unkeyed.summaries());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes the checksum piece by piece as zlib does over the whole, with or without zlib's", () => {
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff));
    const whole = zlib.crc32(bytes) >>> 0;
    for (const cut of [0, 1, 17, 4096, 5000]) {
      assert.equal(crc32Slowly(bytes.subarray(cut), crc32Slowly(bytes.subarray(0, cut), 0)), whole, `cut at ${cut}`);
    }
  });
});

describe('atomic writes of pieces', () => {
  it('writes every piece in order, empty ones and strings too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-atomic-'));
    try {
      const file = path.join(dir, 'out.bin');
      const pieces = Array.from({ length: 2500 }, (_, i) => Buffer.from(i % 3 === 0 ? '' : `${i},`));
      writeFileAtomic(file, pieces);
      assert.equal(fs.readFileSync(file, 'utf8'), pieces.map((p) => p.toString()).join(''));
      writeFileAtomic(file, 'é text');
      assert.equal(fs.readFileSync(file, 'utf8'), 'é text');
      assert.deepEqual(fs.readdirSync(dir), ['out.bin']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
