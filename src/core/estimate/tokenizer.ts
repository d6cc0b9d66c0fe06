/**
 * Token counting with OpenAI's o200k_base encoding (GPT-4o, GPT-4.1, GPT-5 and the o-series), the
 * encoding of the newest models whose tokenizer is public; for Claude and Gemini it approximates.
 *
 * Built as its own bundle (`dist/tokenizer.js`): the o200k_base ranks are 2.3 MB of JavaScript, so
 * the extension requires this file only when an Estimate Tokens command runs, never at activation.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

let encoder: Tiktoken | undefined;

/** The number of o200k_base tokens of `text`. The first call builds the encoder (see below). */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  // Special-token strings in a file (`<|endoftext|>`) are sent as text, so they are counted as text
  // rather than rejected: nothing allowed, nothing disallowed.
  return encoder.encode(text, [], []).length;
}
