import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { createPricer } from '../../src/core/pricing/pricer';
import { skipReport } from '../../src/core/scan/scanner';
import { claudeAssistant, claudeUser, failNextRead, Scratch } from './helpers/fixtures';
// The module object itself, whose functions the scanner calls: a test replaces one to make it fail.
import nodeFs = require('node:fs');

const S = '11111111-2222-3333-4444-555555555555';
const FILE = `claude/projects/-work-project/${S}.jsonl`;
const line = (n: number, output = 1) => claudeAssistant({ session: S, id: `m${n}`, requestId: `r${n}`, ts: new Date(Date.UTC(2026, 10, 1, 10, 0, n)).toISOString(), usage: { input: n, output } });
const total = (engine: ReturnType<Scratch['engine']>) => engine.ledger.summaries().reduce((n, s) => n + s.totalTokens, 0);

describe('incremental scanner', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('reads only appended bytes, and holds a partial line until its newline arrives', () => {
    scratch.write(FILE, line(1));
    const engine = scratch.engine();
    engine.start();
    assert.equal(total(engine), 2);
    const next = line(2);
    scratch.append(FILE, next.slice(0, 100));
    const partial = engine.refresh();
    assert.equal(partial.bytesRead, 100);
    assert.equal(total(engine), 2, 'half a line counts nothing');
    scratch.append(FILE, next.slice(100));
    const rest = engine.refresh();
    assert.equal(rest.bytesRead, next.length, 're-reads the held partial line once, with the rest');
    assert.equal(total(engine), 2 + 3);
    assert.equal(engine.refresh().filesRead, 0, 'an unchanged file is not read');
  });

  it('re-reads a file that was truncated or replaced, and forgets a deleted one', () => {
    const file = scratch.write(FILE, line(1) + line(2));
    const engine = scratch.engine();
    engine.start();
    assert.equal(total(engine), 2 + 3);
    fs.writeFileSync(file, line(5));
    const stats = engine.refresh();
    assert.ok(stats.skips.some((s) => s.reason === 'file-truncated'));
    assert.equal(total(engine), 6);
    const replacement = `${file}.new`;
    fs.writeFileSync(replacement, line(7) + line(8));
    fs.renameSync(replacement, file);
    engine.refresh();
    assert.equal(total(engine), 8 + 9);
    fs.rmSync(file);
    assert.equal(engine.refresh().filesRemoved, 1);
    assert.equal(total(engine), 0);
  });

  it('gets through a 50 MB line and skips lines over the limit with a reason', () => {
    const huge = claudeUser({ session: S, ts: '2026-11-01T10:00:00.000Z', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x'.repeat(50 * 1024 * 1024) }] });
    scratch.write(FILE, line(1) + huge + line(2));
    const engine = scratch.engine();
    const stats = engine.start();
    assert.equal(total(engine), 2 + 3);
    assert.equal(stats.skips.length, 0);

    const small = scratch.engine({ maxLineBytes: 1024 * 1024 });
    const limited = small.start();
    assert.equal(total(small), 2 + 3, 'the records around the long line still count');
    assert.deepEqual(limited.skips.map((s) => s.reason), ['line-too-long']);
  });

  it('reports an unreadable folder and goes on', () => {
    scratch.write('claude-file', 'not a folder');
    scratch.write(`codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-${S}.jsonl`, '');
    const engine = new Engine({
      env: { home: path.join(scratch.dir, 'home'), vars: { CLAUDE_CONFIG_DIR: path.join(scratch.dir, 'claude-file'), CODEX_HOME: scratch.codex } },
      pricer: createPricer(),
    });
    const stats = engine.start();
    assert.deepEqual(stats.skips.map((s) => s.reason), ['unreadable-folder']);
    assert.equal(stats.filesSeen, 1);
  });

  it('a read that fails part way is reported, and the next scan reads the rest instead of taking it for read', () => {
    const file = scratch.write(FILE, line(1) + line(2));
    const engine = scratch.engine();
    const restore = failNextRead(); // the first read fails, the rest succeed
    try {
      const first = engine.start();
      assert.deepEqual(first.skipCounts, { 'unreadable-file': 1 });
      assert.equal(total(engine), 0);
    } finally {
      restore();
    }
    const second = engine.refresh();
    assert.equal(second.bytesRead, fs.statSync(file).size, 'the size and time are those of the failed read: read anyway');
    assert.equal(total(engine), 2 + 3);
    assert.equal(engine.scanner.skippedSoFar(second), 0, "the failure was the first scan's, not a line of the file");
  });

  it("a file it cannot open is each scan's skip, not a count that grows with the file", () => {
    const file = scratch.write(FILE, line(1));
    const engine = scratch.engine();
    engine.start();
    scratch.append(FILE, line(2));
    const openSync = nodeFs.openSync;
    nodeFs.openSync = ((target: nodeFs.PathLike, flags?: nodeFs.OpenMode) => {
      if (target === file) throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
      return openSync(target, flags ?? 'r');
    }) as typeof openSync;
    try {
      for (let i = 0; i < 2; i++) {
        const stats = engine.refresh();
        assert.deepEqual(stats.skipCounts, { 'unreadable-file': 1 });
        assert.equal(engine.scanner.skippedSoFar(stats), 1, `scan ${i + 1}`);
      }
    } finally {
      nodeFs.openSync = openSync;
    }
    engine.refresh();
    assert.equal(total(engine), 2 + 3, 'read once it opens');
  });

  it('a persisted index gives the same totals and reads only what changed', () => {
    scratch.write(FILE, line(1) + line(2, 50));
    const cold = scratch.engine({ state: true });
    const first = cold.start();
    assert.equal(first.indexLoaded, false);
    const expected = JSON.stringify(cold.ledger.summaries());

    const warm = scratch.engine({ state: true });
    const second = warm.start();
    assert.equal(second.indexLoaded, true);
    assert.equal(second.bytesRead, 0);
    assert.equal(JSON.stringify(warm.ledger.summaries()), expected);
    // Records come back as objects on demand, equal to the cold scan's.
    const strip = (rs: readonly { fileId: number }[]) => rs.map(({ fileId: _f, ...r }) => r);
    assert.deepEqual(strip(warm.ledger.sessionRecords('claude-code', S)), strip(cold.ledger.sessionRecords('claude-code', S)));
    assert.equal(JSON.stringify(warm.ledger.summaries()), expected, 'unpacking changes no total');

    // A streamed copy arriving after a restart still replaces the stored one.
    const later = line(2, 400);
    scratch.append(FILE, later);
    const third = scratch.engine({ state: true });
    const stats = third.start();
    assert.equal(stats.bytesRead, later.length);
    assert.equal(total(third), 2 + 2 + 400);
  });

  it('leaves the index alone after a start that read little, and the next start reads those bytes again', () => {
    scratch.write(FILE, line(1) + line(2));
    scratch.engine({ state: true }).start();
    const [index] = fs.readdirSync(scratch.state);
    const saved = fs.readFileSync(path.join(scratch.state, index));
    const appended = line(3);
    scratch.append(FILE, appended);
    const small = scratch.engine({ state: true, saveMinBytes: 1024 * 1024 });
    assert.equal(small.start().bytesRead, Buffer.byteLength(appended));
    assert.deepEqual(fs.readFileSync(path.join(scratch.state, index)), saved, 'the index was not rewritten');
    const again = scratch.engine({ state: true, saveMinBytes: 1024 * 1024 });
    assert.equal(again.start().bytesRead, Buffer.byteLength(appended), 'read again, from the saved offset');
    assert.equal(total(again), 2 + 3 + 4);
    // Past the threshold, or when a file appears, the index is written.
    scratch.write(`claude/projects/-work-project/99999999-2222-3333-4444-555555555555.jsonl`, line(9));
    scratch.engine({ state: true, saveMinBytes: 1024 * 1024 }).start();
    assert.notDeepEqual(fs.readFileSync(path.join(scratch.state, index)), saved);
    assert.equal(scratch.engine({ state: true, saveMinBytes: 1024 * 1024 }).start().bytesRead, 0, 'everything is in the new index');
  });

  it('a copy no larger than the packed one from the same file leaves the file packed and the totals as they were', () => {
    scratch.write(FILE, line(1, 5) + line(2, 50));
    scratch.engine({ state: true }).start();
    // Claude Code writes one line per content block of a response, each with the same ids and usage.
    scratch.append(FILE, line(2, 50) + line(1, 3));
    const warm = scratch.engine({ state: true });
    warm.start();
    assert.equal(total(warm), 1 + 5 + 2 + 50);
    const [state] = warm.scanner.fileStates();
    assert.ok(warm.ledger.packedBlock(state.id), 'still packed: nothing had to compete');
    const cold = scratch.engine();
    cold.start();
    assert.deepEqual(warm.ledger.summaries(), cold.ledger.summaries());
  });

  it('keeps the request keys of a file that grew while packed, so a later copy still replaces its record', () => {
    scratch.write(FILE, line(1) + line(2));
    scratch.engine({ state: true }).start();
    // New requests appended to a packed file: saved next to its packed records without unpacking.
    const before = fs.statSync(path.join(scratch.dir, FILE)).size;
    scratch.append(FILE, line(3) + line(4));
    const grew = scratch.engine({ state: true });
    assert.equal(grew.start().bytesRead, fs.statSync(path.join(scratch.dir, FILE)).size - before, 'only the new bytes');
    assert.equal(total(grew), 2 + 3 + 4 + 5);
    // A larger streamed copy of the first request and of an appended one, after another restart.
    scratch.append(FILE, line(1, 100) + line(4, 50));
    const later = scratch.engine({ state: true });
    later.start();
    assert.equal(total(later), 1 + 100 + 3 + 4 + 4 + 50);
    const cold = scratch.engine();
    cold.start();
    assert.deepEqual(later.ledger.summaries(), cold.ledger.summaries());
  });

  it('after a restart, copies shared between files still compete exactly as in a cold scan', () => {
    const other = '99999999-2222-3333-4444-555555555555';
    const OTHER = `claude/projects/-work-project/${other}.jsonl`;
    const copy = (n: number, session: string, output: number) => claudeAssistant({ session, id: `m${n}`, requestId: `r${n}`, ts: new Date(Date.UTC(2026, 10, 1, 10, 0, n)).toISOString(), usage: { input: n, output } });
    // The resumed transcript repeats m1 (equal) and m2 (a larger copy), then adds m3.
    scratch.write(FILE, copy(1, S, 1) + copy(2, S, 5));
    scratch.write(OTHER, copy(1, other, 1) + copy(2, other, 9) + copy(3, other, 1));
    const view = (e: ReturnType<Scratch['engine']>) => JSON.stringify(e.ledger.summaries().map(({ costUSD, ...s }) => ({ ...s, cost: costUSD?.toFixed(12) })));
    const cold = () => {
      const e = scratch.engine();
      e.start();
      return view(e);
    };
    scratch.engine({ state: true }).start();
    const warm = scratch.engine({ state: true });
    assert.equal(warm.start().bytesRead, 0);
    assert.equal(view(warm), cold(), 'restored winners');

    // The file holding the winning copy of m2 goes: the other copy counts again.
    fs.rmSync(path.join(scratch.dir, OTHER));
    const after = scratch.engine({ state: true });
    after.start();
    assert.equal(view(after), cold());

    // A larger copy of m1 arrives in the remaining file after another restart.
    scratch.append(FILE, copy(1, S, 40));
    const grown = scratch.engine({ state: true });
    grown.start();
    assert.equal(view(grown), cold());
    assert.equal(grown.ledger.summaries()[0].totalTokens, 1 + 40 + 2 + 5);
  });

  it('reprices persisted records when the prices changed (overrides), and keeps them otherwise', () => {
    scratch.write(FILE, line(1) + line(2, 50));
    scratch.engine({ state: true }).start();
    const negotiated = new Engine({
      env: { home: path.join(scratch.dir, 'home'), vars: { CLAUDE_CONFIG_DIR: scratch.claude, CODEX_HOME: scratch.codex } },
      pricer: createPricer({ 'claude-sonnet-4-5-20250929': { input: 1_000_000, output: 0 } }),
      stateDir: scratch.state,
    });
    assert.equal(negotiated.start().indexLoaded, true);
    // $1 per input token: inputs 1 + 2.
    assert.equal(negotiated.ledger.summaries()[0].costUSD, 3);
    const back = scratch.engine({ state: true });
    back.start();
    assert.ok(Math.abs(back.ledger.summaries()[0].costUSD! - (3 * 3 + 51 * 15) / 1e6) < 1e-12);
  });

  it('counts every skipped line, though it keeps the details of the first 200 only', () => {
    const bad = Array.from({ length: 250 }, (_, i) => `not json ${i}\n`).join('');
    const first = line(1); // its uuid is random: measured as written
    scratch.write(FILE, first + bad + line(2));
    const engine = scratch.engine();
    const stats = engine.start();
    assert.equal(total(engine), 2 + 3);
    assert.deepEqual(stats.skipCounts, { 'malformed-json': 250 });
    assert.equal(stats.skips.length, 200);
    const report = skipReport(stats, 2);
    const offset = Buffer.byteLength(first);
    assert.deepEqual(report, [
      'skipped 250 × malformed-json',
      `  malformed-json: ${path.join(scratch.claude, FILE.slice('claude/'.length))} at byte ${offset}`,
      `  malformed-json: ${path.join(scratch.claude, FILE.slice('claude/'.length))} at byte ${offset + 'not json 0\n'.length}`,
      '  and 248 more',
    ]);
  });

  it('rebuilds a corrupt index with a message instead of trusting it', () => {
    scratch.write(FILE, line(1) + line(2));
    scratch.engine({ state: true }).start();
    const [index] = fs.readdirSync(scratch.state);
    const bytes = fs.readFileSync(path.join(scratch.state, index));
    for (const damage of [bytes.subarray(0, bytes.length - 8), Buffer.from('garbage'), Buffer.concat([bytes.subarray(0, 20), Buffer.from('}{'), bytes.subarray(22)])]) {
      fs.writeFileSync(path.join(scratch.state, index), damage);
      const log: string[] = [];
      const engine = scratch.engine({ state: true, log });
      const stats = engine.start();
      assert.equal(stats.indexLoaded, false);
      assert.match(log.join('\n'), /Rebuilding the usage index/);
      assert.equal(total(engine), 2 + 3);
    }
  });
});

