import path = require('node:path');
import { ANY_PLAIN_STRING, COUNT, KeptString, PLAIN_STRING } from '../../scan/jsonPattern';
import { bytesAt, containerEnd, isPlainString, leadingMember } from '../../scan/jsonSkip';
import { scanJsonLines, utf8Text, type JsonLineReader, type LineSkipReason } from '../../scan/lines';
import { errorHash, stableHash } from '../../util/hash';
import { resultText, tokenCount } from '../../util/json';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';

/**
 * Claude Code: `<config>/projects/<slug-of-cwd>/<session>.jsonl`, plus subagent and compaction
 * transcripts in `<session>/subagents/agent-*.jsonl` that carry the parent's sessionId.
 */
export const claudeSource: AgentSource = {
  agent: 'claude-code',
  roots(env: SourceEnv): string[] {
    const configured = env.vars.CLAUDE_CONFIG_DIR?.trim();
    if (configured) {
      return configured
        .split(',')
        .map((dir) => dir.trim())
        .filter(Boolean)
        .map((dir) => path.join(dir, 'projects'));
    }
    return [path.join(env.home, '.config', 'claude', 'projects'), path.join(env.home, '.claude', 'projects')];
  },
  isLogFile(relativePath: string): boolean {
    return relativePath.endsWith('.jsonl');
  },
  createParser(file, sink, options, saved) {
    return new ClaudeParser(file, sink, options, saved as ClaudeState | undefined);
  },
};

interface ClaudeState {
  sessionId?: string;
  cwd?: string;
}

const P_USAGE = Buffer.from('"usage"');
const P_USER = Buffer.from('"type":"user"');
const P_ERROR = Buffer.from('"is_error":true');
const P_TOOL_RESULT = Buffer.from('"tool_result"');
const P_COMPACT = Buffer.from('compact_boundary');
const P_CONTENT = Buffer.from('"content":[');
const CONTENT_NAME = Buffer.from('"content":');
const WITH_ACTIVITY = [P_USAGE, P_USER, P_ERROR, P_TOOL_RESULT, P_COMPACT];
const M_USAGE = 1;
const M_USER = 2;
const M_ERROR = 4;
const M_TOOL_RESULT = 8;
const M_COMPACT = 16;
const NO_PATTERNS: readonly Buffer[] = [];
const TYPE_NAME = Buffer.from('type');
const ASSISTANT = Buffer.from('assistant');

/** How many tool names to remember for naming errors; a turn rarely has more than a few dozen. */
const TOOL_NAME_MEMORY = 512;

class ClaudeParser implements FileParser, JsonLineReader {
  private sessionId: string | undefined;
  private cwd: string | undefined;
  /** tool_use id → tool name, for naming errors; only while activity is on. */
  private readonly toolNames = new Map<string, string>();
  private readonly fallbackSessionId: string;
  private announced = false;
  /** Models, speeds, session ids and folders as kept: consecutive records share one string each. */
  private readonly models = new KeptString();
  private readonly speeds = new KeptString();
  private readonly sessionIds = new KeptString();
  private readonly folders = new KeptString();
  /** Where the next `[` lies in the buffer being parsed, for lines before it (contentOpen). */
  private nextBracket = -1;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: ClaudeState | undefined,
  ) {
    this.sessionId = saved?.sessionId;
    this.cwd = saved?.cwd;
    this.announced = saved?.sessionId !== undefined;
    this.fallbackSessionId = path.basename(file, '.jsonl');
  }

  saveState(): ClaudeState {
    return { sessionId: this.sessionId, cwd: this.cwd };
  }

  parse(buf: Buffer, end: number, base: number): number {
    this.nextBracket = -1;
    return scanJsonLines(buf, end, base, this.options.activity ? WITH_ACTIVITY : NO_PATTERNS, this);
  }

  selectLine(buf: Buffer, start: number, end: number, matches: number, base: number): string | undefined {
    if (!this.options.activity) return this.usageOnly(buf, start, end, base);
    const worthParsing = matches & (M_USAGE | M_COMPACT) || matches & M_ERROR || (matches & M_USER && !(matches & M_TOOL_RESULT));
    return worthParsing ? utf8Text(buf, start, end) : undefined;
  }

  readRecord(record: Record<string, unknown>, offset: number): void {
    this.handle(record, offset);
  }

  skipLine(reason: LineSkipReason, offset: number): void {
    this.sink.skip({ reason, file: this.file, offset });
  }

  /**
   * A line when only usage counts: what to parse of it, or undefined when it holds no usage or
   * its usage was read from the line (usageLine). Most bytes are user records (tool results),
   * passed over by their leading `"type"` without searching them for `"usage"`.
   */
  private usageOnly(buf: Buffer, start: number, end: number, base: number): string | undefined {
    const type = leadingMember(buf, start, end, TYPE_NAME);
    // Claude Code writes each line with JSON.stringify, so a line names its type once.
    if (type >= 0 && isPlainString(buf, type, end, ASSISTANT) === false) return undefined;
    const text = withoutContent(buf, start, end, this.contentOpen(buf, start, end));
    const line = this.options.fullParse ? null : USAGE_LINE.exec(text);
    if (line) {
      this.usageLine(line, base + start);
      return undefined;
    }
    return text.includes('"usage"') ? text : undefined;
  }

  /**
   * Where the line's first `"content":[` array opens, or -1. Claude Code writes message content
   * before any other array, so that is the line's first `[`: found by a one-byte search, several
   * times cheaper per line than searching for the member's name. The search runs past the line
   * when it has no `[`; what it found is kept for the lines up to there (nextBracket), so a buffer
   * of such lines is still searched once.
   */
  private contentOpen(buf: Buffer, start: number, end: number): number {
    let bracket = this.nextBracket;
    if (bracket < start) {
      bracket = buf.indexOf(0x5b, start);
      this.nextBracket = bracket < 0 ? buf.length : bracket;
      if (bracket < 0) return -1;
    }
    if (bracket >= end) return -1;
    if (bytesAt(buf, bracket - CONTENT_NAME.length, CONTENT_NAME)) return bracket;
    // An earlier `[` (in a folder name, say): search for the name itself.
    const at = buf.subarray(start, end).indexOf(P_CONTENT);
    return at < 0 ? -1 : start + at + P_CONTENT.length - 1;
  }

  private handle(record: Record<string, unknown>, offset: number): void {
    const sessionId = this.lineSession(typeof record.sessionId === 'string' ? record.sessionId : undefined, typeof record.cwd === 'string' ? record.cwd : undefined);
    const timestamp = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : NaN;
    if (this.options.activity && !this.announced && this.cwd !== undefined && !Number.isNaN(timestamp)) {
      this.announced = true;
      this.sink.activity?.({ kind: 'session', agent: 'claude-code', sessionId, timestamp, cwd: this.cwd });
    }
    switch (record.type) {
      case 'assistant':
        this.assistant(record, sessionId, timestamp, offset);
        return;
      case 'user':
        if (this.options.activity) this.user(record, sessionId, timestamp);
        return;
      case 'system':
        if (this.options.activity && record.subtype === 'compact_boundary' && !Number.isNaN(timestamp)) {
          this.sink.activity?.({ kind: 'compaction', agent: 'claude-code', sessionId, timestamp });
        }
        return;
      default:
        // progress records embed a subagent's usage that its own transcript already holds.
        return;
    }
  }

  private assistant(record: Record<string, unknown>, sessionId: string, timestamp: number, offset: number): void {
    const message = record.message as Record<string, unknown> | undefined;
    if (typeof message !== 'object' || message === null) return;
    const model = typeof message.model === 'string' ? this.models.of(message.model) : '';
    // `<synthetic>` marks API-error and interruption notices: nothing was billed.
    if (model === '<synthetic>' || record.isApiErrorMessage === true) return;
    const usage = message.usage as Record<string, unknown> | undefined;
    if (typeof usage === 'object' && usage !== null) {
      const split = usage.cache_creation as Record<string, unknown> | undefined;
      this.emitUsage(
        sessionId,
        timestamp,
        offset,
        model,
        typeof message.id === 'string' ? message.id : '',
        typeof record.requestId === 'string' ? record.requestId : '',
        tokenCount(usage.input_tokens),
        tokenCount(usage.output_tokens),
        tokenCount(usage.cache_creation_input_tokens),
        tokenCount(usage.cache_read_input_tokens),
        tokenCount(split?.ephemeral_1h_input_tokens) ?? 0,
        typeof usage.speed === 'string' ? usage.speed : undefined,
      );
    }
    if (this.options.activity && Array.isArray(message.content) && !Number.isNaN(timestamp)) {
      for (const block of message.content as Array<Record<string, unknown>>) {
        if (block?.type !== 'tool_use' || typeof block.name !== 'string') continue;
        const callId = typeof block.id === 'string' ? block.id : '';
        this.rememberTool(callId, block.name);
        this.sink.activity?.({ kind: 'toolCall', agent: 'claude-code', sessionId, timestamp, name: block.name, argsHash: stableHash(block.input), callId });
      }
    }
  }

  /**
   * A usage line in Claude Code 2.0's layout (USAGE_LINE matched it): the record handle() would
   * make of its parse, read from the match.
   */
  private usageLine(line: RegExpExecArray, offset: number): void {
    const sessionId = this.lineSession(line[L_SESSION], line[L_CWD]);
    const model = this.models.of(line[L_MODEL]);
    if (model === '<synthetic>') return;
    this.emitUsage(
      sessionId,
      Date.parse(line[L_TIMESTAMP]),
      offset,
      model,
      line[L_ID],
      line[L_REQUEST],
      Number(line[L_INPUT]),
      Number(line[L_OUTPUT]),
      Number(line[L_CACHE_WRITE]),
      Number(line[L_CACHE_READ]),
      Number(line[L_ONE_HOUR]),
      line[L_SPEED] === undefined ? undefined : this.speeds.of(line[L_SPEED]),
    );
  }

  /** Notes a line's session id and working folder; returns the session its records belong to. */
  private lineSession(lineSessionId: string | undefined, cwd: string | undefined): string {
    if (lineSessionId !== undefined && this.sessionId === undefined) this.sessionId = this.sessionIds.of(lineSessionId);
    if (cwd !== undefined) this.cwd = this.folders.of(cwd);
    // The file's own session id object when the line repeats it: records share one string, not one each.
    if (lineSessionId === undefined) return this.sessionId ?? this.fallbackSessionId;
    return lineSessionId === this.sessionId ? this.sessionId : this.sessionIds.of(lineSessionId);
  }

  /**
   * Emits a request's usage (input, output, cache write, cache read: undefined where a count is not
   * a whole number), or reports why it cannot be counted. The counts are arguments of their own,
   * not an array: one object less per request on a cold scan's hottest path.
   */
  private emitUsage(
    sessionId: string,
    timestamp: number,
    offset: number,
    model: string,
    id: string,
    requestId: string,
    input: number | undefined,
    output: number | undefined,
    cacheWrite: number | undefined,
    cacheRead: number | undefined,
    oneHourTokens: number,
    speed: string | undefined,
  ): void {
    if (input === undefined || output === undefined || cacheWrite === undefined || cacheRead === undefined || Number.isNaN(timestamp)) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, offset, detail: Number.isNaN(timestamp) ? 'no timestamp' : 'token counts are not whole numbers' });
      return;
    }
    const oneHour = Math.min(cacheWrite, oneHourTokens);
    this.sink.usage({
      agent: 'claude-code',
      sessionId,
      // join makes one flat string; a template literal makes a rope of three that the ledger keeps.
      key: id && requestId ? [id, requestId].join(':') : '',
      timestamp,
      model: model || 'unknown',
      inputTokens: input,
      outputTokens: output,
      cacheWrite5mTokens: cacheWrite - oneHour,
      cacheWrite1hTokens: oneHour,
      cacheReadTokens: cacheRead,
      reasoningOutputTokens: 0,
      speed,
    });
    if (this.options.activity) {
      this.sink.activity?.({ kind: 'context', agent: 'claude-code', sessionId, timestamp, contextTokens: input + cacheWrite + cacheRead + output });
    }
  }

  private user(record: Record<string, unknown>, sessionId: string, timestamp: number): void {
    if (Number.isNaN(timestamp)) return;
    const message = record.message as Record<string, unknown> | undefined;
    const content = message?.content;
    if (typeof content === 'string') {
      if (record.isMeta !== true && !record.isCompactSummary) this.sink.activity?.({ kind: 'userTurn', agent: 'claude-code', sessionId, timestamp });
      return;
    }
    if (!Array.isArray(content)) return;
    let human = false;
    for (const block of content as Array<Record<string, unknown>>) {
      if (block?.type === 'tool_result') {
        if (block.is_error !== true) continue;
        const callId = typeof block.tool_use_id === 'string' ? block.tool_use_id : '';
        this.sink.activity?.({
          kind: 'toolError',
          agent: 'claude-code',
          sessionId,
          timestamp,
          name: this.toolNames.get(callId) ?? 'unknown',
          errorHash: errorHash(resultText(block.content)),
          callId,
        });
      } else if (block?.type === 'text') {
        human = true;
      }
    }
    if (human && record.isMeta !== true && !record.isCompactSummary) this.sink.activity?.({ kind: 'userTurn', agent: 'claude-code', sessionId, timestamp });
  }

  private rememberTool(callId: string, name: string): void {
    if (!callId) return;
    if (this.toolNames.size >= TOOL_NAME_MEMORY) {
      const oldest = this.toolNames.keys().next().value;
      if (oldest !== undefined) this.toolNames.delete(oldest);
    }
    this.toolNames.set(callId, name);
  }
}

/**
 * The line with its first `"content":[…]` array (opening at `open`, -1: none) emptied. Usage, ids
 * and timestamps never live in message content, which is most of an assistant line's bytes (text,
 * thinking, tool input); not decoding it makes a cold scan several times faster. Falls back to
 * the whole line when the array does not close (the JSON is broken anyway and will be reported).
 */
function withoutContent(buf: Buffer, start: number, end: number, open: number): string {
  if (open < 0) return utf8Text(buf, start, end);
  const close = containerEnd(buf, open, end);
  if (close < 0) return utf8Text(buf, start, end);
  // Emptied where it lies (the scanner never reads a consumed line again: see FileParser.parse):
  // `]` after the `[`, the rest of the line moved up behind it, and one piece decoded. Decoding the
  // pieces apart makes a rope that the match copies again; joining them in another buffer costs
  // two Buffer#copy calls per line, each making a view object: a tenth of the line's cost.
  buf[open + 1] = 0x5d; // ]
  buf.copyWithin(open + 2, close, end);
  return utf8Text(buf, start, open + 2 + end - close);
}

/**
 * A Claude Code 2.0 assistant line with usage, its content emptied (withoutContent), spelled out:
 * its members in the order that version writes them (agentId, slug, inference_geo and speed where
 * it may leave them out), strings without escapes, counts as plain whole numbers, no white space.
 * A line that matches is exactly the object this describes, so its record is read from the match
 * instead of JSON.parse building the whole object tree (a cold scan's largest cost). Any other
 * line (another version's layout, an API error, an escape) is parsed in full as before.
 */
const USAGE_LINE = new RegExp(
  [
    '^\\{"parentUuid":(?:null|', ANY_PLAIN_STRING, '),"isSidechain":(?:true|false),"userType":', ANY_PLAIN_STRING,
    ',"cwd":', PLAIN_STRING, ',"sessionId":', PLAIN_STRING, ',"version":', ANY_PLAIN_STRING, ',"gitBranch":', ANY_PLAIN_STRING,
    '(?:,"agentId":', ANY_PLAIN_STRING, ')?(?:,"slug":', ANY_PLAIN_STRING, ')?',
    ',"message":\\{"model":', PLAIN_STRING, ',"id":', PLAIN_STRING, ',"type":"message","role":"assistant","content":\\[\\]',
    ',"stop_reason":(?:null|', ANY_PLAIN_STRING, '),"stop_sequence":(?:null|', ANY_PLAIN_STRING, ')',
    ',"usage":\\{"input_tokens":', COUNT, ',"cache_creation_input_tokens":', COUNT, ',"cache_read_input_tokens":', COUNT,
    ',"cache_creation":\\{"ephemeral_5m_input_tokens":', COUNT, ',"ephemeral_1h_input_tokens":', COUNT, '\\}',
    ',"output_tokens":', COUNT, ',"service_tier":', ANY_PLAIN_STRING, '(?:,"inference_geo":', ANY_PLAIN_STRING, ')?(?:,"speed":', PLAIN_STRING, ')?\\}\\}',
    ',"requestId":', PLAIN_STRING, ',"type":"assistant","uuid":', ANY_PLAIN_STRING, ',"timestamp":', PLAIN_STRING, '\\}$',
  ].join(''),
);
/** USAGE_LINE's groups. */
const L_CWD = 1;
const L_SESSION = 2;
const L_MODEL = 3;
const L_ID = 4;
const L_INPUT = 5;
const L_CACHE_WRITE = 6;
const L_CACHE_READ = 7;
const L_ONE_HOUR = 9;
const L_OUTPUT = 10;
const L_SPEED = 11;
const L_REQUEST = 12;
const L_TIMESTAMP = 13;
