import * as assert from 'node:assert/strict';
import { isPlainString, leadingMember } from '../../src/core/scan/jsonSkip';

/** The value leadingMember finds for `key` in `text`, as text up to the line's end, or undefined. */
function lead(text: string, key = 'type'): string | undefined {
  const buf = Buffer.from(text);
  const at = leadingMember(buf, 0, buf.length, Buffer.from(key));
  return at < 0 ? undefined : buf.toString('utf8', at);
}

describe('leadingMember', () => {
  it('finds a member reached through scalar members', () => {
    assert.equal(lead('{"type":"user","message":{}}'), '"user","message":{}}');
    assert.equal(lead('{"a":null,"b":true,"c":-1.5e3,"d":"x\\"y,z","type":"user"}'), '"user"}');
    assert.equal(lead('{"parentUuid":"p","sessionId":"s","type":7}'), '7}');
  });

  it('gives up where only a parse can tell', () => {
    assert.equal(lead('{"message":{"type":"assistant"},"type":"user"}'), undefined, 'an object first');
    assert.equal(lead('{"a":[1],"type":"user"}'), undefined, 'an array first');
    assert.equal(lead('{ "type":"user"}'), undefined, 'white space');
    assert.equal(lead('{"ty\\u0070e":"user"}'), undefined, 'an escaped name');
    assert.equal(lead('{"a":1}'), undefined, 'no such member');
    assert.equal(lead('{"a":"unterminated'), undefined, 'a cut string');
    assert.equal(lead('{"a":1,"type"'), undefined, 'a cut member');
    assert.equal(lead('["type","user"]'), undefined, 'not an object');
    assert.equal(lead('{"types":"x","typ":"y"}'), undefined, 'names that only start or end alike');
  });

  it('stays within the line it is given', () => {
    const buf = Buffer.from('{"a":1,"type":"user"}');
    assert.equal(leadingMember(buf, 0, 8, Buffer.from('type')), -1);
  });
});

describe('isPlainString', () => {
  const is = (json: string, text: string) => isPlainString(Buffer.from(json), 0, json.length, Buffer.from(text));
  it('compares a string without escapes byte for byte', () => {
    assert.equal(is('"assistant"', 'assistant'), true);
    assert.equal(is('"assistants"', 'assistant'), false);
    assert.equal(is('"assistan"', 'assistant'), false);
    assert.equal(is('7', 'assistant'), false);
    assert.equal(is('null', 'assistant'), false);
  });
  it('leaves a string with an escape, or cut short, undecided or unequal', () => {
    assert.equal(is('"assist\\u0061nt"', 'assistant'), undefined);
    assert.equal(is('"assistant', 'assistant'), false);
  });
});
