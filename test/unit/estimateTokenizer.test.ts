import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { countTokens } from '../../src/core/estimate/tokenizer';

const root = path.join(__dirname, '..', '..', '..');

describe('estimate tokens: o200k_base counting', function () {
  // Building the encoder from the ranks takes about 0.9 s (once per process); 2 s is mocha's default.
  this.timeout(10_000);

  it('counts "hello world" as 2 tokens', () => {
    assert.equal(countTokens('hello world'), 2);
    assert.equal(countTokens(''), 0);
  });

  it('agrees with js-tiktoken on code, prose and non-Latin text', () => {
    const reference = new Tiktoken(o200kBase);
    const samples = [
      'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
      'The quick brown fox jumps over the lazy dog. '.repeat(20),
      'Größenordnung — 日本語のテキスト 🙂 \t\r\n  trailing',
    ];
    for (const s of samples) {
      const n = countTokens(s);
      assert.equal(n, reference.encode(s).length);
      assert.ok(n > 0 && n < s.length, `${n} tokens for ${s.length} characters`);
    }
  });

  it('counts special-token strings in a file as text instead of throwing', () => {
    const n = countTokens('before <|endoftext|> after');
    assert.ok(n > 3, `${n} tokens: the marker is text, not one control token`);
  });
});

describe('estimate tokens: bundles', function () {
  this.timeout(10_000);
  // The tests build dist/ first (esbuild.config.mjs --tests builds everything).
  const extension = fs.readFileSync(path.join(root, 'dist', 'extension.js'), 'utf8');

  it('keeps js-tiktoken and its ranks out of the extension start-up bundle', () => {
    assert.ok(!extension.includes('js-tiktoken'), 'dist/extension.js must not bundle js-tiktoken');
    assert.ok(!extension.includes('bpe_ranks'), 'dist/extension.js must not bundle the ranks');
    // 1.05 MB unminified before the feature; the ranks alone are 2.3 MB.
    assert.ok(extension.length < 1.5e6, `dist/extension.js is ${extension.length} bytes`);
  });

  it('builds the tokenizer bundle the command requires at run time', () => {
    const file = path.join(root, 'dist', 'tokenizer.js');
    assert.ok(fs.statSync(file).size > 2e6, 'the bundle carries the o200k_base ranks');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundled = require(file) as { countTokens(text: string): number };
    assert.equal(bundled.countTokens('hello world'), 2);
  });
});
