import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeSource } from '../../src/core/sources/claude/claudeSource';
import { codexSource } from '../../src/core/sources/codex/codexSource';
import { geminiLogSource } from '../../src/core/sources/gemini/geminiSource';
import type { AgentSource } from '../../src/core/sources/source';
import { generate } from '../gen/generator';

/**
 * A line parser searches each byte of its buffer a bounded number of times, whatever the lines
 * look like. A search that runs from a line to the end of the buffer when the line lacks what it
 * looks for makes a scan quadratic in the lines per buffer: a 5 MB Codex rollout in a layout the
 * fast path does not know took 96 s. Counted in bytes searched, not timed.
 */

/** Bytes searched by every Buffer#indexOf (and includes, which calls it) while `run` runs. */
function bytesSearched(run: () => void): number {
  const original = Buffer.prototype.indexOf;
  let searched = 0;
  Buffer.prototype.indexOf = function (this: Buffer, value: string | number | Uint8Array, byteOffset?: number | BufferEncoding, encoding?: BufferEncoding): number {
    const found = original.call(this, value, byteOffset as number, encoding);
    const from = typeof byteOffset === 'number' ? (byteOffset < 0 ? Math.max(0, this.length + byteOffset) : byteOffset) : 0;
    searched += (found < 0 ? this.length : found + 1) - from;
    return found;
  } as typeof Buffer.prototype.indexOf;
  try {
    run();
  } finally {
    Buffer.prototype.indexOf = original;
  }
  return searched;
}

const lines = (n: number, line: (i: number) => string) => Buffer.from(Array.from({ length: n }, (_, i) => `${line(i)}\n`).join(''));

/** Lines no fast path knows: each layout is many lines that lack the patterns the parsers look for. */
const LAYOUTS: Record<string, Buffer> = {
  'plain text': lines(3000, (i) => `plain text log line number ${i}`),
  'JSON in another order': lines(3000, (i) => JSON.stringify({ role: 'assistant', content: [{ kind: 'text', text: `hello ${i}` }], at: i })),
  'an older Codex layout': lines(3000, (i) => JSON.stringify({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `hello there ${i}` }] })),
  'objects with NUL bytes': lines(3000, (i) => `{"a":"x\u0000${i}"}`),
  'truncated objects': lines(3000, (i) => `{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{"type":"tok${i}`),
};

/** The generator's Claude Code and Codex logs (every pitfall it writes), one file after another. */
function generatedLogs(): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-linear-'));
  try {
    generate({ outDir: dir, seed: 3, claudeBytes: 300_000, codexBytes: 150_000, sessions: { medianBytes: 40_000, maxBytes: 120_000 } });
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.jsonl')) files.push(path.join(d, e.name));
      }
    };
    walk(dir);
    return Buffer.concat(files.sort().map((f) => fs.readFileSync(f)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
LAYOUTS['generated Claude Code and Codex logs'] = generatedLogs();

const SOURCES: Array<[AgentSource, string]> = [
  [claudeSource, '/h/.claude/projects/-p/11111111-2222-3333-4444-555555555555.jsonl'],
  [codexSource, '/h/.codex/sessions/2025/05/01/rollout-2025-05-01T10-00-00-0199a388-26b5-779a-9dec-b38a149168cf.jsonl'],
  [geminiLogSource, '/h/.gemini/tmp/p/chats/session-1.jsonl'],
];

describe('line parsers search linearly', () => {
  for (const [source, file] of SOURCES) {
    for (const [layout, input] of Object.entries(LAYOUTS)) {
      it(`${source.agent}: ${layout}`, () => {
        for (const activity of [false, true]) {
          const buf = Buffer.from(input);
          let consumed = 0;
          const searched = bytesSearched(() => {
            consumed = source.createParser(file, { usage: () => undefined, activity: () => undefined, skip: () => undefined }, { activity }).parse(buf, buf.length, 0);
          });
          assert.equal(consumed, buf.length);
          assert.ok(searched <= 16 * buf.length, `${searched} bytes searched in a ${buf.length}-byte buffer (activity ${activity})`);
        }
      });
    }
  }
});
