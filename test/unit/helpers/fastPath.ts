import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { walkFiles } from '../../../src/core/scan/walk';
import type { AgentSource } from '../../../src/core/sources/source';
import type { Skip, UsageRecord } from '../../../src/core/sources/types';
import { generate } from '../../gen/generator';

/**
 * Helpers for the tests of parsers' fast paths (lines read from their layout instead of
 * JSON.parse): read the same bytes both ways and compare.
 */

export interface Outcome {
  records: UsageRecord[];
  skips: Skip[];
  activities: unknown[];
  state?: unknown;
}

/** What `source` reads from `text` with its fast paths and with every line parsed, and how many parses each took. */
export function readBothWays(source: AgentSource, text: Buffer | string, file: string, activity = false): { fast: Outcome; full: Outcome; parsedFast: number; parsedFull: number } {
  const read = (fullParse: boolean): [Outcome, number] => {
    // A copy each: a parser may overwrite the lines it consumed (FileParser.parse).
    const buf = Buffer.from(text);
    const out: Outcome = { records: [], skips: [], activities: [] };
    const parser = source.createParser(file, { usage: (r) => out.records.push(r), skip: (s) => out.skips.push(s), activity: (a) => out.activities.push(a) }, { activity, fullParse });
    const parsed = parsesWhile(() => parser.parse(buf, buf.length, 0));
    out.state = parser.saveState();
    return [out, parsed];
  };
  const [fast, parsedFast] = read(false);
  const [full, parsedFull] = read(true);
  return { fast, full, parsedFast, parsedFull };
}

/** How many times `run` calls JSON.parse. */
export function parsesWhile(run: () => void): number {
  const parse = JSON.parse;
  let parsed = 0;
  JSON.parse = ((t: string, r?: (this: unknown, k: string, v: unknown) => unknown) => (parsed++, parse(t, r))) as typeof JSON.parse;
  try {
    run();
  } finally {
    JSON.parse = parse;
  }
  return parsed;
}

/** Runs `use` on the log files of `source` in a generated tree (every pitfall), then removes the tree. */
export function withGeneratedFiles(source: AgentSource, seed: number, bytes: number, use: (files: string[]) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-fast-'));
  const agent = source.agent === 'claude-code' ? 'claude' : 'codex';
  try {
    generate({ outDir: dir, seed, claudeBytes: agent === 'claude' ? bytes : 0, codexBytes: agent === 'codex' ? bytes : 0 });
    const files = walkFiles(
      path.join(dir, agent),
      (rel) => (source.isLogFile(rel) ? true : undefined),
      (folder, error) => assert.fail(`${folder}: ${error.message}`),
    ).map((f) => f.file);
    assert.ok(files.length > 5, `generated ${files.length} ${agent} files`);
    use(files);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
