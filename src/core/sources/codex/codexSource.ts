import path = require('node:path');
import { COUNT, KeptString, objectOf, PLAIN_STRING, SCALAR } from '../../scan/jsonPattern';
import { bytesAt } from '../../scan/jsonSkip';
import { scanJsonLines, utf8Text, type JsonLineReader, type LineSkipReason } from '../../scan/lines';
import { errorHash, stableHash } from '../../util/hash';
import { tokenCount } from '../../util/json';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';

/**
 * Codex CLI: `<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/`. Usage is
 * cumulative (`info.total_token_usage`), so each event adds the difference from the previous one.
 */
export const codexSource: AgentSource = {
  agent: 'codex',
  roots(env: SourceEnv): string[] {
    const home = env.vars.CODEX_HOME?.trim() || path.join(env.home, '.codex');
    return [path.join(home, 'sessions'), path.join(home, 'archived_sessions')];
  },
  isLogFile(relativePath: string): boolean {
    return relativePath.endsWith('.jsonl') && path.basename(relativePath).startsWith('rollout-');
  },
  createParser(file, sink, options, saved) {
    return new CodexParser(file, sink, options, saved as CodexState | undefined);
  },
};

/** Codex's token counters, all cumulative within a rollout. */
interface Counters {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

interface CodexState {
  sessionId?: string;
  /** When the rollout's session began (session_meta), else its first event: forks start later. */
  startedAt?: number;
  cwd?: string;
  model?: string;
  previous?: Counters;
}

const P_TOKEN_COUNT = Buffer.from('"token_count"');
const P_TURN_CONTEXT = Buffer.from('"turn_context"');
const P_SESSION_META = Buffer.from('"session_meta"');
const P_FUNCTION_CALL = Buffer.from('_call"');
const P_USER_MESSAGE = Buffer.from('"user_message"');
const P_COMPACTED = Buffer.from('"compacted"');
const P_EXEC_END = Buffer.from('"exec_command_end"');
const USAGE_ONLY = [P_TOKEN_COUNT, P_TURN_CONTEXT, P_SESSION_META];
const P_FUNCTION_CALL_OUTPUT = Buffer.from('_call_output"');
const WITH_ACTIVITY = [P_TOKEN_COUNT, P_TURN_CONTEXT, P_SESSION_META, P_FUNCTION_CALL, P_USER_MESSAGE, P_COMPACTED, P_EXEC_END, P_FUNCTION_CALL_OUTPUT];
/** Bit of P_TOKEN_COUNT in both pattern lists. */
const M_TOKEN_COUNT = 1;
/** Bit of P_FUNCTION_CALL_OUTPUT in WITH_ACTIVITY. */
const M_CALL_OUTPUT = 1 << 7;
const NO_PATTERNS: readonly Buffer[] = [];

const LINE_START = Buffer.from('{"timestamp":"');
const TYPE_FIELD = Buffer.from('","type":"');
const PAYLOAD_TYPE_FIELD = Buffer.from('","payload":{"type":"');
const QUOTE = 0x22;
/** Codex writes a line's types within its first bytes; further out, the line is not in that shape. */
const HEAD_BYTES = 160;

/**
 * Which patterns a line matches, as a bit set: for a line in Codex's own shape,
 * `{"timestamp":"…","type":"<type>","payload":{"type":"<payload type>"…`, the patterns that are its
 * quoted type or payload type (what the line is, read from its first bytes instead of searching the
 * whole line, which is mostly tool output); for any other line, the patterns found anywhere in it.
 * The type fields are compared where they are, not decoded.
 */
function lineMatches(buf: Buffer, start: number, end: number, patterns: readonly Buffer[]): number {
  const head = Math.min(end, start + HEAD_BYTES);
  const type = typeQuote(buf, start, head);
  const typeClose = type < 0 ? -1 : buf.indexOf(QUOTE, type + 1);
  if (typeClose < 0 || typeClose >= head) return foundIn(buf, start, end, patterns);
  const payload = bytesAt(buf, typeClose, PAYLOAD_TYPE_FIELD) ? typeClose + PAYLOAD_TYPE_FIELD.length - 1 : -1;
  const payloadClose = payload < 0 ? -1 : buf.indexOf(QUOTE, payload + 1);
  if (payload >= 0 && (payloadClose < 0 || payloadClose >= head)) return foundIn(buf, start, end, patterns);
  let matches = 0;
  for (let i = 0; i < patterns.length; i++) {
    if (isQuoted(buf, type, typeClose + 1, patterns[i]) || (payload >= 0 && isQuoted(buf, payload, payloadClose + 1, patterns[i]))) matches |= 1 << i;
  }
  return matches;
}

/** The opening quote of the type in a line that starts `{"timestamp":"…","type":"`, else -1. */
function typeQuote(buf: Buffer, start: number, head: number): number {
  if (!bytesAt(buf, start, LINE_START)) return -1;
  const stampClose = buf.indexOf(QUOTE, start + LINE_START.length);
  return stampClose >= 0 && stampClose < head && bytesAt(buf, stampClose, TYPE_FIELD) ? stampClose + TYPE_FIELD.length - 1 : -1;
}

/**
 * The patterns found anywhere in `buf[start, end)`. Searched within the line: a search to the
 * buffer's end for a pattern the line lacks made a file of such lines quadratic (a 5 MB rollout
 * in an older layout took 96 s).
 */
function foundIn(buf: Buffer, start: number, end: number, patterns: readonly Buffer[]): number {
  const line = buf.subarray(start, end);
  let matches = 0;
  for (let i = 0; i < patterns.length; i++) if (line.includes(patterns[i])) matches |= 1 << i;
  return matches;
}

/**
 * Whether the quoted string `buf[open, close)` (quotes included) is `pattern`: all of it for a
 * pattern that starts with a quote (`"token_count"`), its end for one that does not (`_call"`).
 */
function isQuoted(buf: Buffer, open: number, close: number, pattern: Buffer): boolean {
  const n = pattern.length;
  if (pattern[0] === QUOTE ? close - open !== n : close - open < n) return false;
  return bytesAt(buf, close - n, pattern);
}

class CodexParser implements FileParser, JsonLineReader {
  private sessionId: string | undefined;
  private startedAt: number | undefined;
  private cwd: string | undefined;
  private model: string | undefined;
  private previous: Counters | undefined;
  private readonly fallbackSessionId: string;
  private readonly toolNames = new Map<string, string>();
  private readonly failedCalls = new Set<string>();
  /** Models as kept, from whichever line named them: consecutive records share one string. */
  private readonly models = new KeptString();

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: CodexState | undefined,
  ) {
    this.sessionId = saved?.sessionId;
    this.startedAt = saved?.startedAt;
    this.cwd = saved?.cwd;
    this.model = saved?.model;
    this.previous = saved?.previous;
    // rollout-2025-09-01T10-00-00-<uuid>.jsonl: the uuid is the last 36 characters.
    const base = path.basename(file, '.jsonl');
    this.fallbackSessionId = base.length > 36 ? base.slice(-36) : base;
  }

  saveState(): CodexState {
    return { sessionId: this.sessionId, startedAt: this.startedAt, cwd: this.cwd, model: this.model, previous: this.previous };
  }

  parse(buf: Buffer, end: number, base: number): number {
    // No patterns for the scanner to search: a Codex line says what it is in its first bytes, which
    // selectLine reads (lineMatches), so `matches` comes to it empty.
    return scanJsonLines(buf, end, base, NO_PATTERNS, this);
  }

  selectLine(buf: Buffer, start: number, end: number, _matches: number, base: number): string | undefined {
    const matches = lineMatches(buf, start, end, this.options.activity ? WITH_ACTIVITY : USAGE_ONLY);
    if (matches === 0) return undefined;
    // A function call's output can be megabytes; only parse it when it may report a failure.
    if (matches === M_CALL_OUTPUT && !mayBeFailure(buf, start, end)) return undefined;
    const text = utf8Text(buf, start, end);
    const line = matches === M_TOKEN_COUNT && !this.options.fullParse ? TOKEN_COUNT_LINE.exec(text) : null;
    if (!line) return text;
    this.tokenCountLine(line, base + start);
    return undefined;
  }

  readRecord(record: Record<string, unknown>, offset: number): void {
    this.handle(record, offset);
  }

  skipLine(reason: LineSkipReason, offset: number): void {
    this.sink.skip({ reason, file: this.file, offset });
  }

  private handle(record: Record<string, unknown>, offset: number): void {
    const payload = record.payload as Record<string, unknown> | undefined;
    if (typeof payload !== 'object' || payload === null) return;
    const timestamp = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : NaN;
    switch (record.type) {
      case 'session_meta':
        // A fork or resume may repeat its parent's meta line; the first one names this rollout.
        if (this.sessionId === undefined && typeof payload.id === 'string') {
          this.sessionId = payload.id;
          const began = typeof payload.timestamp === 'string' ? Date.parse(payload.timestamp) : timestamp;
          if (!Number.isNaN(began)) this.startedAt = began;
        }
        if (this.cwd === undefined && typeof payload.cwd === 'string') {
          this.cwd = payload.cwd;
          if (this.options.activity && !Number.isNaN(timestamp)) {
            this.sink.activity?.({ kind: 'session', agent: 'codex', sessionId: this.session(), timestamp, cwd: payload.cwd });
          }
        }
        return;
      case 'turn_context':
        if (typeof payload.model === 'string' && payload.model) this.model = this.models.of(payload.model);
        return;
      case 'event_msg':
        this.event(payload, timestamp, typeof record.timestamp === 'string' ? record.timestamp : '', offset);
        return;
      case 'response_item':
        if (this.options.activity && !Number.isNaN(timestamp)) this.responseItem(payload, timestamp);
        return;
      case 'compacted':
        if (this.options.activity && !Number.isNaN(timestamp)) this.sink.activity?.({ kind: 'compaction', agent: 'codex', sessionId: this.session(), timestamp });
        return;
      default:
        return;
    }
  }

  /**
   * A token_count line in Codex's layout (TOKEN_COUNT_LINE matched it): what tokenCount() makes of
   * its parse, with the counters read from the match (the pattern admits only whole counts).
   */
  private tokenCountLine(line: RegExpExecArray, offset: number): void {
    const timestamp = Date.parse(line[T_TIMESTAMP]);
    this.noteStart(timestamp);
    if (line[T_LAST] === undefined) return; // info: null, a rate-limit-only event
    if (line[T_MODEL]) this.model = this.models.of(line[T_MODEL]);
    const total = matchedCounters(line, T_TOTAL);
    const last = matchedCounters(line, T_LAST);
    const window = line[T_WINDOW] === undefined ? undefined : Number(line[T_WINDOW]);
    this.account(total, last, window, timestamp, offset, matchedStamp(line, total ? T_TOTAL : T_LAST, (total ?? last)!));
  }

  private session(): string {
    return this.sessionId ?? this.fallbackSessionId;
  }

  /** A rollout without session_meta starts at its first event. */
  private noteStart(timestamp: number): void {
    if (this.startedAt === undefined && !Number.isNaN(timestamp)) this.startedAt = timestamp;
  }

  private event(payload: Record<string, unknown>, timestamp: number, timestampText: string, offset: number): void {
    this.noteStart(timestamp);
    if (payload.type === 'token_count') {
      this.tokenCount(payload, timestamp, timestampText, offset);
    } else if (!this.options.activity || Number.isNaN(timestamp)) {
      return;
    } else if (payload.type === 'user_message') {
      this.sink.activity?.({ kind: 'userTurn', agent: 'codex', sessionId: this.session(), timestamp });
    } else if (payload.type === 'exec_command_end' && typeof payload.exit_code === 'number' && payload.exit_code !== 0) {
      const callId = typeof payload.call_id === 'string' ? payload.call_id : '';
      const text = typeof payload.stderr === 'string' && payload.stderr ? payload.stderr : String(payload.aggregated_output ?? payload.exit_code);
      this.toolError(callId, text, timestamp);
    }
  }

  private tokenCount(payload: Record<string, unknown>, timestamp: number, timestampText: string, offset: number): void {
    const info = payload.info as Record<string, unknown> | null | undefined;
    if (typeof info !== 'object' || info === null) return; // rate-limit-only event
    if (typeof info.model === 'string' && info.model) this.model = this.models.of(info.model);
    const total = counters(info.total_token_usage);
    const last = counters(info.last_token_usage);
    const stamp = total ?? last;
    this.account(total, last, info.model_context_window, timestamp, offset, stamp && eventStamp(timestampText, total ? 'T' : 'L', stamp));
  }

  /**
   * Records what a token_count event adds: the difference of its running total from the last one,
   * or its own usage when the total is missing or fell. `window` is its model_context_window;
   * `stamp` is the event's identity (eventStamp), undefined when it has no counters.
   */
  private account(total: Counters | undefined, last: Counters | undefined, window: unknown, timestamp: number, offset: number, stamp: string | undefined): void {
    let delta: Counters | undefined;
    if (total && this.previous && covers(total, this.previous)) {
      delta = minus(total, this.previous);
      // A running total grows by at least each event's own usage. One that grew by less restarted
      // (resume, compaction) at a value above the last: the event's own usage is the truth, as
      // for a total that fell. A total that did not move is a re-emitted event, below.
      if (last && !isZero(delta) && !covers(delta, last)) delta = last;
    } else if (total && !this.previous) {
      delta = total;
    } else {
      // Missing or falling total (resume, compaction): the event's own usage is the truth.
      delta = last;
    }
    // Without a total, the event's own usage moves the running total (the next total includes it).
    if (total) this.previous = total;
    else if (last) this.previous = this.previous ? plus(this.previous, last) : last;
    if (!delta) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, offset, detail: 'token_count without usable counters' });
      return;
    }
    if (isZero(delta)) return; // re-emitted event
    if (Number.isNaN(timestamp)) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, offset, detail: 'no timestamp' });
      return;
    }
    const cached = Math.min(delta.cached, delta.input);
    this.sink.usage({
      agent: 'codex',
      sessionId: this.session(),
      // A forked rollout replays its parent's events verbatim: the same instant and totals.
      key: stamp!,
      timestamp,
      model: this.model ?? 'unknown',
      inputTokens: delta.input - cached,
      outputTokens: delta.output,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cached,
      reasoningOutputTokens: delta.reasoning,
      // Claude's records end with speed: the same members in the same order give both agents'
      // records one hidden class, so the ledger's code is not deoptimised when Codex files follow.
      speed: undefined,
    });
    if (this.options.activity && last) {
      const size = tokenCount(window);
      this.sink.activity?.({
        kind: 'context',
        agent: 'codex',
        sessionId: this.session(),
        timestamp,
        contextTokens: last.input + last.output,
        contextWindow: size && size > 0 ? size : undefined,
      });
    }
  }

  private responseItem(payload: Record<string, unknown>, timestamp: number): void {
    const callId = typeof payload.call_id === 'string' ? payload.call_id : '';
    switch (payload.type) {
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call': {
        const name = typeof payload.name === 'string' ? payload.name : String(payload.type);
        const args = payload.type === 'function_call' ? parseArguments(payload.arguments) : (payload.input ?? payload.action);
        if (callId) this.toolNames.set(callId, name);
        this.sink.activity?.({ kind: 'toolCall', agent: 'codex', sessionId: this.session(), timestamp, name, argsHash: stableHash(args), callId });
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const text = outputText(payload.output);
        if (text !== undefined && failureCode(text)) this.toolError(callId, text, timestamp);
        return;
      }
      default:
        return;
    }
  }

  private toolError(callId: string, text: string, timestamp: number): void {
    if (callId) {
      if (this.failedCalls.has(callId)) return; // reported by both the event and the output item
      this.failedCalls.add(callId);
    }
    this.sink.activity?.({
      kind: 'toolError',
      agent: 'codex',
      sessionId: this.session(),
      timestamp,
      name: this.toolNames.get(callId) ?? 'unknown',
      errorHash: errorHash(stripOutputHeader(text)),
      callId,
    });
  }
}

function counters(value: unknown): Counters | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const input = tokenCount(v.input_tokens);
  const cached = tokenCount(v.cached_input_tokens ?? v.cache_read_input_tokens);
  const output = tokenCount(v.output_tokens);
  const reasoning = tokenCount(v.reasoning_output_tokens);
  if (input === undefined || cached === undefined || output === undefined || reasoning === undefined) return undefined;
  return countersOf(input, cached, output, reasoning, tokenCount(v.total_tokens));
}

/** Counters from their counts; a total that is missing or 0 is taken as input + output. */
function countersOf(input: number, cached: number, output: number, reasoning: number, total: number | undefined): Counters {
  return { input, cached, output, reasoning, total: total || input + output };
}

/** counters() of the usage whose five counts are TOKEN_COUNT_LINE's groups from `at`; undefined when absent. */
function matchedCounters(line: RegExpExecArray, at: number): Counters | undefined {
  if (line[at] === undefined) return undefined;
  return countersOf(Number(line[at]), Number(line[at + 1]), Number(line[at + 2]), Number(line[at + 3]), Number(line[at + 4]));
}

/**
 * A token_count event's identity, its dedup key: when it happened (as written) and the counters it
 * reports, its running total's (T) or, without one, its own (L). A forked rollout replays its
 * parent's events verbatim, so a replayed event has the same stamp as the original.
 */
function eventStamp(timestamp: string, kind: 'T' | 'L', c: Counters): string {
  return stampOf(timestamp, kind, c.input, c.cached, c.output, c.reasoning, c.total);
}

/**
 * eventStamp of a matched event, from the match's digits rather than the numbers read from them:
 * the same text (a COUNT has no leading zero, sign or exponent), without converting five numbers
 * back to strings per event, which cost a cold Codex scan more than matching the line. Counts of
 * over 15 digits are converted, as String() would spell them.
 */
function matchedStamp(line: RegExpExecArray, at: number, c: Counters): string {
  const total = Number(line[at + 4]) === 0 ? c.total : digits(line[at + 4]);
  return stampOf(line[T_TIMESTAMP], at === T_TOTAL ? 'T' : 'L', digits(line[at]), digits(line[at + 1]), digits(line[at + 2]), digits(line[at + 3]), total);
}

/** The stamp's text, shared by eventStamp and matchedStamp: a count as a number or as its digits joins the same. */
function stampOf(timestamp: string, kind: 'T' | 'L', input: Count, cached: Count, output: Count, reasoning: Count, total: Count): string {
  return [timestamp, kind, input, cached, output, reasoning, total].join('|');
}

/** A count as a number, or as the digits a log wrote it with (digits). */
type Count = number | string;

function digits(count: string): Count {
  return count.length > 15 ? Number(count) : count;
}

/** Whether the counters hold no usage (reasoning is part of output). */
function isZero(c: Counters): boolean {
  return c.input === 0 && c.output === 0 && c.cached === 0;
}

function covers(a: Counters, b: Counters): boolean {
  return a.input >= b.input && a.cached >= b.cached && a.output >= b.output && a.reasoning >= b.reasoning;
}

function minus(a: Counters, b: Counters): Counters {
  return { input: a.input - b.input, cached: a.cached - b.cached, output: a.output - b.output, reasoning: a.reasoning - b.reasoning, total: a.total - b.total };
}

function plus(a: Counters, b: Counters): Counters {
  return { input: a.input + b.input, cached: a.cached + b.cached, output: a.output + b.output, reasoning: a.reasoning + b.reasoning, total: a.total + b.total };
}

function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function outputText(output: unknown): string | undefined {
  if (typeof output === 'string') return output;
  if (typeof output === 'object' && output !== null) {
    const content = (output as { content?: unknown }).content;
    if (typeof content === 'string') return content;
  }
  return undefined;
}

const EXIT_PATTERNS = [/exited with code (-?\d+)/i, /"exit_code"\s*:\s*(-?\d+)/, /^Exit code:\s*(-?\d+)/m];

/** The non-zero exit code a tool output reports, if any. */
function failureCode(text: string): number | undefined {
  for (const pattern of EXIT_PATTERNS) {
    const match = pattern.exec(text.slice(0, 4096));
    if (match) {
      const code = Number(match[1]);
      return code !== 0 ? code : undefined;
    }
  }
  return undefined;
}

function mayBeFailure(buf: Buffer, start: number, end: number): boolean {
  const head = utf8Text(buf, start, Math.min(end, start + 4096));
  return /exit(ed with |_| )code/i.test(head);
}

/** Codex prefixes exec output with a chunk id and wall time that differ on every call. */
function stripOutputHeader(text: string): string {
  const at = text.indexOf('\nOutput:\n');
  return at >= 0 ? text.slice(at + 9) : text;
}

/** Rate limits: an object whose members are scalars or objects of scalars (valid JSON). */
const RATE_LIMITS = objectOf(`(?:${SCALAR}|${objectOf(SCALAR)})`);
const USAGE = `\\{"input_tokens":${COUNT},"cached_input_tokens":${COUNT},"output_tokens":${COUNT},"reasoning_output_tokens":${COUNT},"total_tokens":${COUNT}\\}`;

/**
 * A token_count event line in the layout Codex writes, spelled out: valid JSON with its members in
 * that order, no white space, plain strings and counts. A line that matches is exactly the object
 * this describes, so its event is read from the match instead of JSON.parse building the whole
 * tree (rate limits included); any other line is parsed in full as before.
 */
const TOKEN_COUNT_LINE = new RegExp(
  [
    '^\\{"timestamp":', PLAIN_STRING, ',"type":"event_msg","payload":\\{"type":"token_count","info":',
    '(?:null|\\{(?:"total_token_usage":', USAGE, ',)?"last_token_usage":', USAGE, '(?:,"model_context_window":', COUNT, ')?(?:,"model":', PLAIN_STRING, ')?\\})',
    '(?:,"rate_limits":(?:null|', RATE_LIMITS, '))?\\}\\}$',
  ].join(''),
);
/** TOKEN_COUNT_LINE's groups. */
const T_TIMESTAMP = 1;
const T_TOTAL = 2;
const T_LAST = 7;
const T_WINDOW = 12;
const T_MODEL = 13;
