import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { claudeSource } from '../../src/core/sources/claude/claudeSource';
import type { UsageRecord } from '../../src/core/sources/types';
import { parsesWhile, readBothWays as readBoth, withGeneratedFiles } from './helpers/fastPath';

/**
 * The Claude parser reads usage lines in Claude Code 2.0's layout from a regular expression instead
 * of JSON.parse. These tests read the same bytes both ways and require the same records and the
 * same skips, on generated logs (every pitfall) and on lines altered where a pattern could slip.
 */
const readBothWays = (text: Buffer | string, file = '/p/11111111-2222-3333-4444-555555555555.jsonl') => readBoth(claudeSource, text, file);

const base = {
  parentUuid: 'a1b2c3d4-0000-4000-8000-000000000001',
  isSidechain: false,
  userType: 'external',
  cwd: '/home/dev/project',
  sessionId: '11111111-2222-3333-4444-555555555555',
  version: '2.0.55',
  gitBranch: 'main',
  message: {
    model: 'claude-sonnet-4-5-20250929',
    id: 'msg_01AbC',
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text: 'a "quoted" answer\n' }],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 12, cache_creation_input_tokens: 300, cache_read_input_tokens: 4000, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 }, output_tokens: 56, service_tier: 'standard', inference_geo: 'not_available', speed: 'standard' },
  },
  requestId: 'req_01XyZ',
  type: 'assistant',
  uuid: 'a1b2c3d4-0000-4000-8000-000000000002',
  timestamp: '2025-10-12T09:22:18.565Z',
};

describe('Claude usage lines read without JSON.parse', () => {
  it('give exactly the records and skips of a full parse, on generated logs with every pitfall', () => {
    withGeneratedFiles(claudeSource, 11, 6 << 20, (files) => {
      let records = 0;
      let parsedFast = 0;
      let parsedFull = 0;
      for (const file of files) {
        const both = readBothWays(fs.readFileSync(file), file);
        assert.deepEqual(both.fast, both.full, file);
        records += both.full.records.length;
        parsedFast += both.parsedFast;
        parsedFull += both.parsedFull;
      }
      assert.ok(records > 300, `${records} records`);
      assert.ok(parsedFast < parsedFull / 4, `the layout was recognised: ${parsedFast} of ${parsedFull} lines still parsed`);
    });
  });

  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const variants: Array<[string, string]> = [
    ['the layout itself', line(base)],
    ['without optional members', line({ ...base, parentUuid: null, message: { ...base.message, usage: { ...base.message.usage, inference_geo: undefined, speed: undefined } } })],
    ['with agentId and slug', line(base).replace('"gitBranch":"main","message"', '"gitBranch":"main","agentId":"a7","slug":"brave-otter","message"')],
    ['an escaped quote in the folder', line({ ...base, cwd: '/home/dev/"odd"' })],
    ['an escape in the session id', line(base).replace('"sessionId":"11111111', '"sessionId":"\\u0031111111')],
    ['white space after a colon', line(base).replace('"output_tokens":56', '"output_tokens": 56')],
    ['a count with a leading zero (not JSON)', line(base).replace('"output_tokens":56', '"output_tokens":056')],
    ['a negative count', line(base).replace('"output_tokens":56', '"output_tokens":-56')],
    ['a fractional count', line(base).replace('"output_tokens":56', '"output_tokens":56.5')],
    ['a count with an exponent', line(base).replace('"output_tokens":56', '"output_tokens":5e1')],
    ['a count past 2^53', line(base).replace('"output_tokens":56', '"output_tokens":123456789012345678901')],
    ['a time that is not a date', line({ ...base, timestamp: 'yesterday' })],
    ['a synthetic error notice', line({ ...base, message: { ...base.message, model: '<synthetic>' } })],
    ['an API error mark', line({ ...base, isApiErrorMessage: true })],
    ['an unknown member', line({ ...base, extra: 1 })],
    ['a duplicated member', line(base).replace('"type":"assistant"', '"type":"assistant","type":"progress"')],
    ['no request id', line({ ...base, requestId: '' })],
    ['an empty model', line({ ...base, message: { ...base.message, model: '' } })],
    ['a raw control character in a string', line(base).replace('"gitBranch":"main"', '"gitBranch":"ma\tin"')],
    ['a line cut short', line(base).slice(0, -40) + '\n'],
    ['a CRLF ending', line(base).replace(/\n$/, '\r\n')],
    ['non-ASCII text', line({ ...base, cwd: '/home/dév/プロジェクト' })],
    // The content array is found as the line's first `[`; a `[` before it sends the search on.
    ['a bracket in the folder', line({ ...base, cwd: '/home/dev/[draft]' })],
    ['no content array', line({ ...base, message: { ...base.message, content: undefined } })],
    // A line without `[` that is not passed over by its type: the `[` found is the next line's.
    ['a line without any bracket before it', '{"meta":{"a":1},"type":"assistant"}\n' + line(base)],
  ];
  for (const [name, text] of variants) {
    it(`give the same record as a full parse: ${name}`, () => {
      const both = readBothWays(text + line({ ...base, uuid: 'second', message: { ...base.message, id: 'msg_2' } }));
      assert.deepEqual(both.fast, both.full);
    });
  }

  it('read the layout without parsing it, and anything else in full', () => {
    assert.equal(readBothWays(line(base)).parsedFast, 0);
    assert.equal(readBothWays(line({ ...base, extra: 1 })).parsedFast, 1);
    assert.equal(readBothWays(line(base).replace('"output_tokens":56', '"output_tokens": 56')).parsedFast, 1);
  });

  it('empty message content where it lies, and leave the bytes after the last whole line as they were', () => {
    // The scanner keeps an unfinished last line (the bytes after the last newline) for its next read.
    const whole = line(base) + line({ ...base, message: { ...base.message, id: 'msg_2' } });
    const partial = line({ ...base, message: { ...base.message, id: 'msg_3' } }).slice(0, -30);
    const buf = Buffer.from(whole + partial);
    const records: UsageRecord[] = [];
    const parser = claudeSource.createParser('/p/s.jsonl', { usage: (r) => records.push(r), skip: () => {} }, { activity: false });
    const consumed = parser.parse(buf, buf.length, 0);
    assert.equal(consumed, Buffer.byteLength(whole));
    assert.deepEqual(records.map((r) => r.key), ['msg_01AbC:req_01XyZ', 'msg_2:req_01XyZ']);
    assert.equal(buf.subarray(consumed).toString(), partial);
    // The first line was emptied of its content where it lies (what follows, up to its newline, is left over).
    assert.ok(buf.toString().startsWith(JSON.stringify({ ...base, message: { ...base.message, content: [] } })));
  });
});

describe('Claude records passed over by their leading type', () => {
  /** Usage records read as the CLI reads them (usage only) and as the editor does (with activity), and the lines parsed. */
  function readBothModes(text: string): { usageOnly: UsageRecord[]; withActivity: UsageRecord[]; parsed: number } {
    const read = (activity: boolean): [UsageRecord[], number] => {
      // A copy each: a parser may overwrite the lines it consumed (FileParser.parse).
      const buf = Buffer.from(text);
      const records: UsageRecord[] = [];
      const parser = claudeSource.createParser('/p/s.jsonl', { usage: (r) => records.push(r), skip: () => {}, activity: () => {} }, { activity });
      const parsed = parsesWhile(() => parser.parse(buf, buf.length, 0));
      return [records, parsed];
    };
    const [usageOnly, parsed] = read(false);
    const [withActivity] = read(true);
    return { usageOnly, withActivity, parsed };
  }
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const { type: _type, ...untyped } = base;
  const user = { parentUuid: null, isSidechain: false, userType: 'external', cwd: '/p', sessionId: base.sessionId, version: '2.0.55', gitBranch: 'main', type: 'user' };

  it('count what reading every line counts, on generated logs with every pitfall', () => {
    withGeneratedFiles(claudeSource, 12, 4 << 20, (files) => {
      let records = 0;
      for (const file of files) {
        const both = readBothModes(fs.readFileSync(file, 'utf8'));
        assert.deepEqual(both.usageOnly, both.withActivity, file);
        records += both.usageOnly.length;
      }
      assert.ok(records > 200, `${records} records`);
    });
  });

  it('pass over a user record without parsing it, whatever its tool result holds', () => {
    const both = readBothModes(line({ ...user, message: { role: 'user', content: [{ type: 'tool_result', content: line(base) }] } }));
    assert.deepEqual(both.usageOnly, []);
    assert.equal(both.parsed, 0);
  });

  const counted: Array<[string, string]> = [
    ['its type first', line({ type: 'assistant', ...untyped })],
    ['its type first, escaped', line({ type: 'assistant', ...untyped }).replace('"type":"assistant"', '"type":"assist\\u0061nt"')],
    ['white space between members', line({ type: 'assistant', ...untyped }).replace('{"type":"assistant",', '{ "type" : "assistant", ')],
    ['an escaped member name before the type', line({ 'a"b': 1, type: 'assistant', ...untyped })],
  ];
  for (const [name, text] of counted) {
    it(`count an assistant record with ${name}`, () => {
      const both = readBothModes(text);
      assert.equal(both.usageOnly.length, 1);
      assert.deepEqual(both.usageOnly, both.withActivity);
    });
  }

  const notCounted: Array<[string, string]> = [
    ['a user type after a nested object', line({ ...untyped, type: 'user' })],
    ['a type that is not a string', line({ type: 7, ...untyped })],
    ['a progress record', line({ ...user, type: 'progress', data: { message: { ...base } } })],
  ];
  for (const [name, text] of notCounted) {
    it(`count nothing for ${name}`, () => {
      const both = readBothModes(text);
      assert.deepEqual(both.usageOnly, []);
      assert.deepEqual(both.withActivity, []);
    });
  }
});
