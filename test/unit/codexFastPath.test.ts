import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { codexSource } from '../../src/core/sources/codex/codexSource';
import { readBothWays as readBoth, withGeneratedFiles } from './helpers/fastPath';

/**
 * The Codex parser reads token_count lines in Codex's layout from a regular expression instead of
 * JSON.parse. These tests read the same bytes both ways, with and without activity, and require
 * the same records, skips, activity and state, on generated logs (every pitfall) and on lines
 * altered where the pattern could slip.
 */
const FILE = '/c/rollout-2026-02-23T12-40-23-019c8a4c-ed82-79a1-aa28-7738fc5ab61a.jsonl';
const readBothWays = (text: string, activity = false) => readBoth(codexSource, text, FILE, activity);

const usage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});
/** A token_count event as Codex 0.104 writes it (the newer rate limits: limit_id, credits, plan_type). */
const event = (at: string, total: object | undefined, last: object) => ({
  timestamp: at,
  type: 'event_msg',
  payload: {
    type: 'token_count',
    info: { total_token_usage: total, last_token_usage: last, model_context_window: 258400 },
    rate_limits: {
      limit_id: 'codex',
      limit_name: null,
      primary: { used_percent: 1.0, window_minutes: 300, resets_at: 1771864834 },
      secondary: { used_percent: 0.5, window_minutes: 10080, resets_at: 1772355702 },
      credits: { has_credits: false, unlimited: false, balance: null },
      plan_type: null,
    },
  },
});
const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const head =
  line({ timestamp: '2026-02-23T11:40:23.000Z', type: 'session_meta', payload: { id: '019c8a4c-ed82-79a1-aa28-7738fc5ab61a', timestamp: '2026-02-23T11:40:23.000Z', cwd: '/home/dev/p' } }) +
  line({ timestamp: '2026-02-23T11:40:24.000Z', type: 'turn_context', payload: { cwd: '/home/dev/p', model: 'gpt-5.3-codex' } });
const first = event('2026-02-23T11:40:42.097Z', usage(17203, 3456, 358, 193), usage(17203, 3456, 358, 193));
const second = line(event('2026-02-23T11:40:47.627Z', usage(36446, 6912, 597, 240), usage(19243, 3456, 239, 47)));
const firstLine = line(first);
const info = (changes: object) => line({ ...first, payload: { ...first.payload, info: { ...first.payload.info, ...changes } } });
const payload = (changes: object) => line({ ...first, payload: { ...first.payload, ...changes } });
const limits = (json: string) => firstLine.replace(/"rate_limits":.*\}\}\n$/, `"rate_limits":${json}}}\n`);

describe('Codex token_count lines read without JSON.parse', () => {
  it('give exactly the records, skips, activity and state of a full parse, on generated logs with every pitfall', () => {
    withGeneratedFiles(codexSource, 13, 6 << 20, (files) => {
      let records = 0;
      let parsedFast = 0;
      let parsedFull = 0;
      for (const file of files) {
        const text = fs.readFileSync(file, 'utf8');
        for (const activity of [false, true]) {
          const both = readBoth(codexSource, text, file, activity);
          assert.deepEqual(both.fast, both.full, `${file} (activity ${activity})`);
          if (activity) continue;
          records += both.full.records.length;
          parsedFast += both.parsedFast;
          parsedFull += both.parsedFull;
        }
      }
      assert.ok(records > 100, `${records} records`);
      assert.ok(parsedFast < parsedFull / 3, `the layout was recognised: ${parsedFast} of ${parsedFull} lines still parsed`);
    });
  });

  const variants: Array<[string, string]> = [
    ['the layout itself', firstLine],
    ['no running total', info({ total_token_usage: undefined })],
    ['info null (rate limits only)', payload({ info: null })],
    ['no context window', info({ model_context_window: undefined })],
    ['a model in the info', info({ model: 'gpt-5-codex' })],
    ['an empty model in the info', info({ model: '' })],
    ['no rate limits', payload({ rate_limits: undefined })],
    ['rate limits null', payload({ rate_limits: null })],
    ['rate limits with an escaped string', limits('{"limit_name":"a\\"b\\u00e9\\n"}')],
    ['rate limits with an array', limits('{"windows":[1,2]}')],
    ['rate limits nested three deep', limits('{"a":{"b":{"c":1}}}')],
    ['rate limits with a duplicated member', limits('{"plan_type":null,"plan_type":"pro"}')],
    ['rate limits with a number of every shape', limits('{"a":-0,"b":1.5e-3,"c":2E+2,"d":0.25}')],
    ['rate limits with a leading zero (not JSON)', limits('{"used_percent":01}')],
    ['rate limits with a bare fraction (not JSON)', limits('{"used_percent":.5}')],
    ['rate limits with a trailing comma (not JSON)', limits('{"a":1,}')],
    ['rate limits with a bad escape (not JSON)', limits('{"a":"\\x"}')],
    ['rate limits with a raw control character (not JSON)', limits('{"a":"x\ty"}')],
    ['an escape in the time', firstLine.replace('"timestamp":"2026', '"timestamp":"\\u0032026')],
    ['a time that is not a date', line({ ...first, timestamp: 'yesterday' })],
    ['white space after a colon', firstLine.replace('"output_tokens":358', '"output_tokens": 358')],
    ['a count with a leading zero (not JSON)', firstLine.replace('"output_tokens":358', '"output_tokens":0358')],
    ['a negative count', firstLine.replace('"output_tokens":358', '"output_tokens":-358')],
    ['a fractional count', firstLine.replace('"output_tokens":358', '"output_tokens":358.5')],
    ['a count with an exponent', firstLine.replace('"output_tokens":358', '"output_tokens":3e2')],
    ['a count past 2^53', firstLine.replace('"output_tokens":358', '"output_tokens":123456789012345678901')],
    // counters() reads a total of 0 as input + output; the running total (state) shows it.
    ['a total of zero', firstLine.replaceAll(/"total_tokens":\d+/g, '"total_tokens":0')],
    ['cache reads named as Anthropic does', firstLine.replaceAll('"cached_input_tokens"', '"cache_read_input_tokens"')],
    ['an unknown member', info({ extra: 1 })],
    ['a line cut short', firstLine.slice(0, -40) + '\n'],
    ['a CRLF ending', firstLine.replace(/\n$/, '\r\n')],
  ];
  for (const [name, text] of variants) {
    for (const activity of [false, true]) {
      it(`give the same event as a full parse: ${name}${activity ? ', with activity' : ''}`, () => {
        const both = readBothWays(head + text + second, activity);
        assert.deepEqual(both.fast, both.full);
      });
    }
  }

  it('read the layout without parsing it, and anything else in full', () => {
    assert.equal(readBothWays(firstLine).parsedFast, 0);
    assert.equal(readBothWays(payload({ info: null })).parsedFast, 0);
    assert.equal(readBothWays(limits('{"windows":[1,2]}')).parsedFast, 1);
    assert.equal(readBothWays(info({ extra: 1 })).parsedFast, 1);
    assert.equal(readBothWays(head + firstLine + second).full.records.length, 2);
  });
});
