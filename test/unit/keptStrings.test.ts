import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KeptString } from '../../src/core/scan/jsonPattern';

/**
 * The fast paths read a line's strings from a regular expression's match, and V8 makes a capture
 * of 13 characters or more a slice of the matched text: a record or a parser that kept such a
 * capture would keep its whole line alive (about a kilobyte each, megabytes over months of logs).
 * These tests look for the lines in the heap after their records were read.
 */

/**
 * Run in a child process (a small heap, so its snapshots take a fraction of a second): reads the
 * given files with a source's parser, keeping the records and the parsers' states (what the
 * scanner keeps of a file: its session and folder), and prints how often the marker occurs in the
 * heap's strings before and after (a heap snapshot collects garbage first). The files are read as
 * bytes, never as strings.
 */
const CHILD = `
const v8 = require('node:v8');
const fs = require('node:fs');
const [modulePath, exportName, marker, ...files] = process.argv.slice(1);
const source = require(modulePath)[exportName];
async function occurrences() {
  const snapshot = v8.getHeapSnapshot();
  snapshot.setEncoding('utf8');
  let hits = 0;
  let tail = '';
  for await (const chunk of snapshot) {
    const text = tail + chunk;
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) hits++;
    tail = text.slice(text.length - marker.length + 1); // a marker cut by a chunk boundary is found whole in the next
  }
  return hits;
}
(async () => {
  const buffers = files.map((f) => fs.readFileSync(f));
  const before = await occurrences();
  const records = [];
  const states = buffers.map((buf, i) => {
    const parser = source.createParser(files[i], { usage: (r) => records.push(r), skip: () => {} }, { activity: false });
    if (parser.parse(buf, buf.length, 0) !== buf.length) throw new Error('not all lines read');
    return parser.saveState();
  });
  // V8 keeps the subject of the last match of any regular expression (RegExp.input): one line,
  // whatever was read. A match on another string lets it go.
  /./.exec('.');
  const after = await occurrences();
  // Read after the snapshot, so the records and states were alive during it.
  process.stdout.write(JSON.stringify({ before, after, records: records.length, model: records[records.length - 1].model, session: records[records.length - 1].sessionId, state: states[states.length - 1] }));
})();
`;

/** What CHILD reports of reading `files` (each written under its name) with the source exported as `exportName`. */
function readInChild(modulePath: string, exportName: string, marker: string, files: Array<[string, Buffer]>): { before: number; after: number; records: number; model: string; session: string; state: unknown } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-kept-'));
  try {
    const paths = files.map(([name, buf]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, buf);
      return file;
    });
    return JSON.parse(execFileSync(process.execPath, ['-e', CHILD, require.resolve(modulePath), exportName, marker, ...paths], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Claude Code 2.0 assistant lines whose first member carries `marker`: `files` files of `lines`
 * lines, each file's first line of one session and the others of another.
 */
function claudeFiles(marker: string, files: number, lines: number): Buffer[] {
  return Array.from({ length: files }, (_, f) => {
    let text = '';
    for (let i = 0; i < lines; i++) {
      text += `${JSON.stringify({
        parentUuid: `${marker}-${f}-${i}`,
        isSidechain: false,
        userType: 'external',
        cwd: `/home/dev/a-project-folder-${f}`,
        // A file's lines may name another session than its first (records follow the line).
        sessionId: `11111111-2222-3333-4444-${String(i === 0 ? f : f + 1000).padStart(12, '0')}`,
        version: '2.0.55',
        gitBranch: 'main',
        message: {
          model: 'claude-sonnet-4-5-20250929',
          id: `msg_${f}_${i}`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'text', text: 'an answer' }],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, cache_creation_input_tokens: 300, cache_read_input_tokens: 4000, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 0 }, output_tokens: 56, service_tier: 'standard', speed: 'standard' },
        },
        requestId: `req_${f}_${i}`,
        type: 'assistant',
        uuid: 'a1b2c3d4-0000-4000-8000-000000000002',
        timestamp: '2025-10-12T09:22:18.565Z',
      })}\n`;
    }
    return Buffer.from(text);
  });
}

/** Codex token_count lines naming a long model in their info, `marker` in their rate limits. */
function codexFile(marker: string, lines: number): Buffer {
  let text = '';
  for (let i = 1; i <= lines; i++) {
    const usage = { input_tokens: 1000 * i, cached_input_tokens: 0, output_tokens: 10 * i, reasoning_output_tokens: 0, total_tokens: 1010 * i };
    text += `${JSON.stringify({
      timestamp: `2026-02-23T11:40:${String(i % 60).padStart(2, '0')}.000Z`,
      type: 'event_msg',
      payload: { type: 'token_count', info: { total_token_usage: usage, last_token_usage: usage, model: 'gpt-5.1-codex-max' }, rate_limits: { limit_id: `${marker}-${i}` } },
    })}\n`;
  }
  return Buffer.from(text);
}

describe('strings kept from fast-path matches', () => {
  it('are exact copies of what was matched', () => {
    const kept = new KeptString();
    for (const s of ['', 'short', '123456789012', '1234567890123', 'claude-opus-4-5-20251101', '/home/dév/projet', 'a folder 😀 named so', 'a lone \ud800 surrogate', 'short']) {
      assert.equal(kept.of(s), s);
    }
  });

  it('keep no Claude Code line alive once its records are read', () => {
    const marker = `m${crypto.randomBytes(8).toString('hex')}`;
    const files = claudeFiles(marker, 40, 5).map((buf, f): [string, Buffer] => [`${f}.jsonl`, buf]);
    const read = readInChild('../../src/core/sources/claude/claudeSource', 'claudeSource', marker, files);
    assert.equal(read.records, 200);
    assert.equal(read.session, '11111111-2222-3333-4444-000000001039');
    assert.equal(read.model, 'claude-sonnet-4-5-20250929');
    assert.deepEqual(read.state, { sessionId: '11111111-2222-3333-4444-000000000039', cwd: '/home/dev/a-project-folder-39' });
    // Only the marker itself (the child's arguments) holds it, before and after.
    assert.equal(read.after, read.before);
  });

  it('keep no Codex line alive once its records are read', () => {
    const marker = `m${crypto.randomBytes(8).toString('hex')}`;
    const files: Array<[string, Buffer]> = [['rollout-2026-02-23T12-40-23-019c8a4c-ed82-79a1-aa28-7738fc5ab61a.jsonl', codexFile(marker, 100)]];
    const read = readInChild('../../src/core/sources/codex/codexSource', 'codexSource', marker, files);
    assert.equal(read.records, 100);
    assert.equal(read.model, 'gpt-5.1-codex-max');
    assert.equal(read.after, read.before);
  });
});
