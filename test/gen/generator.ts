/*
 * Agent Meter conformance data generator.
 *
 * Writes realistic Claude Code and Codex session logs from a seeded PRNG and
 * returns the exact billed token totals that a correct reader must compute.
 * The truth is built from the canonical API calls the generator decides on;
 * every pitfall (duplicates, replays, garbage, ...) is rendered on top of
 * those calls and by construction must not change the truth.
 *
 * Rules the truth follows (see README in this folder):
 *  Claude: one billed call per message.id+requestId across ALL files (main,
 *    subagents, compaction, resumed copies); the copy with the largest token
 *    total counts; it is attributed to the session whose file logged it
 *    FIRST in time (the original session, not the resuming one); subagent and
 *    compaction files belong to the parent session (their sessionId field and
 *    their <session>/subagents/ folder); progress records, <synthetic> model
 *    records, records without usage and unparsable lines are ignored.
 *  Codex: per file, usage = delta of info.total_token_usage between
 *    consecutive token_count events; an unchanged total adds nothing; info:null
 *    is skipped; when total_token_usage is missing (the event's usage is
 *    last_token_usage and the running total advances by it) or drops (use
 *    last_token_usage and rebase on the new total); model = info.model, else
 *    the latest turn_context.model; a fork (session_meta.forked_from_id)
 *    replays its parent's token_count events verbatim, they add nothing; a
 *    rollout present both in sessions/ and archived_sessions/ counts once.
 */
import * as fs from 'fs';
import * as path from 'path';

// ---------------------------------------------------------------- types

export type Agent = 'claude-code' | 'codex';

export interface ModelBucket {
  model: string;
  /** Claude usage.speed ("standard" | "fast") or "" when absent / Codex. */
  speed: string;
  /** true when the request's total input (input+cache write+cache read) > 200,000. */
  longContext: boolean;
  /**
   * Long buckets only: per request, tokens of each category above 200,000,
   * summed. ccusage prices only these excess tokens at the >200k rate
   * (per category), whereas Anthropic bills the whole request at that rate.
   */
  tierExcess?: { input: number; cacheCreation: number; cacheRead: number; output: number };
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreation5mTokens: number;
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens: number;
}

/** A session's token totals, in ccusage's field meanings (every peer reports these). */
export interface SessionTokens {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}

export interface TruthSession extends SessionTokens {
  agent: Agent;
  sessionId: string;
  cwd: string;
  /** Timestamp of the first / last COUNTED usage record (ccusage semantics). */
  firstActivity: string;
  lastActivity: string;
  models: string[];
  /** Per model x speed x long-context bucket, enough to compute cost. */
  breakdown: ModelBucket[];
  /** Files (relative to outDir) that hold records of this session. */
  files: string[];
  /** Pitfalls exercised in this session (labels, for debugging). */
  pitfalls: string[];
}

export interface Truth {
  seed: number;
  claudeBytes: number;
  codexBytes: number;
  sessions: TruthSession[];
}

export interface GenerateOptions {
  outDir: string;
  seed: number;
  /** Approximate bytes of Claude logs to write (default 4 MB). */
  claudeBytes?: number;
  /** Approximate bytes of Codex logs to write (default 1 MB). */
  codexBytes?: number;
  /** Median bytes per session (default: min(1.5 MB, total/8)). */
  sessions?: { medianBytes?: number; maxBytes?: number };
  /** Include all pitfalls (default true). */
  pitfalls?: boolean;
  /** Base date of the first session (default 2025-10-01T08:00:00Z). */
  startDate?: string;
  /** Days over which sessions are spread (default 60). */
  spanDays?: number;
}

// ---------------------------------------------------------------- PRNG

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private r: () => number;
  constructor(seed: number) {
    this.r = mulberry32(seed);
  }
  next(): number {
    return this.r();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.r() * a.length)];
  }
  weighted<T>(items: ReadonlyArray<[T, number]>): T {
    let s = 0;
    for (const [, w] of items) s += w;
    let x = this.r() * s;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1][0];
  }
  /** log-normal with given median and sigma */
  logn(median: number, sigma: number): number {
    const u1 = Math.max(this.r(), 1e-12);
    const u2 = this.r();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return median * Math.exp(sigma * z);
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[Math.floor(this.r() * 16)];
    return s;
  }
  b62(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += B62[Math.floor(this.r() * 62)];
    return s;
  }
  uuid4(): string {
    const h = this.hex(32);
    const v = HEX[8 + Math.floor(this.r() * 4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  /** UUIDv7-looking id carrying the given time (Codex thread ids). */
  uuid7(ms: number): string {
    const t = ms.toString(16).padStart(12, '0');
    const h = this.hex(20);
    const v = HEX[8 + Math.floor(this.r() * 4)];
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-${v}${h.slice(3, 6)}-${h.slice(6, 18)}`;
  }
}

const HEX = '0123456789abcdef';
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// ---------------------------------------------------------------- text corpus

const WORDS = (
  'the a to of and in is for that this with it on be as are we can file function test ' +
  'value return error type string number config build run check update add remove fix ' +
  'import export const let async await should now next then use path data user session ' +
  'token cost model output input cache read write line parse json log scan state index ' +
  'I will look at the implementation first and then make the change. Let me verify ' +
  'because otherwise the totals would be wrong; here is what I found in the code'
).split(/\s+/);

const CODE_LINES = [
  "import * as fs from 'fs';",
  "import * as path from 'path';",
  'export function parseLine(line: string): Record | undefined {',
  '  if (!line || line.charCodeAt(0) !== 123) return undefined;',
  '  const rec = JSON.parse(line) as Record;',
  '  for (const [key, value] of Object.entries(map)) {',
  '    total += value.inputTokens + value.outputTokens;',
  '  }',
  '  return { sessionId, cwd, tokens: { input, output, cacheRead, cacheWrite } };',
  '}',
  '',
  'describe(\'scanner\', () => {',
  "  it('counts each message once', async () => {",
  '    assert.strictEqual(result.sessions.length, 3);',
  '  });',
  '});',
  'def load_config(path: str) -> dict:',
  '    with open(path, "r", encoding="utf-8") as fh:',
  '        return json.load(fh)',
  '    raise ValueError(f"bad config: {path}")',
  'fn main() -> anyhow::Result<()> {',
  '    let args = Args::parse();',
  '    println!("{}", serde_json::to_string_pretty(&report)?);',
  '#include <stdio.h>',
  '  "dependencies": { "zod": "^4.0.0", "esbuild": "^0.25.0" },',
  'SELECT id, created_at, total_tokens FROM usage WHERE session_id = $1 ORDER BY created_at;',
  '    at Object.<anonymous> (/home/dev/projects/app/src/index.ts:42:13)',
  'npm ERR! code ELIFECYCLE',
  '✓ 128 passing (2s)',
  '  1 failing',
  'warning: unused variable `x` — résumé naïve café 日本語 テスト 🚀',
];

class Corpus {
  private big: string;
  constructor(rng: Rng) {
    const parts: string[] = [];
    let n = 0;
    while (n < 1 << 20) {
      const l = rng.chance(0.7) ? rng.pick(CODE_LINES) : this.sentence(rng);
      const indent = ' '.repeat(rng.int(0, 3) * 2);
      const s = `${indent}${l}\n`;
      parts.push(s);
      n += s.length;
    }
    this.big = parts.join('');
  }
  sentence(rng: Rng): string {
    const n = rng.int(4, 18);
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(rng.pick(WORDS));
    return w.join(' ') + '.';
  }
  /** A slice of code-like text of about `len` characters. */
  text(rng: Rng, len: number): string {
    len = Math.max(1, Math.floor(len));
    if (len >= this.big.length) {
      let s = '';
      while (s.length < len) s += this.big;
      return s.slice(0, len);
    }
    const off = rng.int(0, this.big.length - len);
    return this.big.slice(off, off + len);
  }
  /** Numbered file listing like the Read tool returns. */
  numbered(rng: Rng, len: number): string {
    const body = this.text(rng, len);
    const lines = body.split('\n');
    let i = rng.int(1, 400);
    return lines.map((l) => `${String(i++).padStart(6, ' ')}→${l}`).join('\n');
  }
  prose(rng: Rng, len: number): string {
    const parts: string[] = [];
    let n = 0;
    while (n < len) {
      const s = this.sentence(rng);
      parts.push(s);
      n += s.length + 1;
    }
    return parts.join(' ');
  }
}

// ---------------------------------------------------------------- output

class Out {
  private fd: number;
  private buf: string[] = [];
  private bufLen = 0;
  bytes = 0;
  constructor(public file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'w');
  }
  raw(s: string): void {
    this.buf.push(s);
    this.bufLen += s.length;
    this.bytes += Buffer.byteLength(s);
    if (this.bufLen > 1 << 20) this.flush();
  }
  line(obj: unknown): string {
    const s = JSON.stringify(obj);
    this.raw(s + '\n');
    return s;
  }
  flush(): void {
    if (this.buf.length) {
      fs.writeSync(this.fd, this.buf.join(''));
      this.buf = [];
      this.bufLen = 0;
    }
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

// ---------------------------------------------------------------- truth accumulation

interface Entry {
  model: string;
  speed: string;
  ts: string;
  u: { input: number; output: number; c5: number; c1: number; read: number; reasoning: number };
}

const LONG_T = 200_000;

class Acc {
  entries = new Map<string, Entry>();
  private n = 0;
  constructor(public s: TruthSession) {}
  add(model: string, speed: string, ts: string, u: Entry['u'], key?: string): void {
    this.entries.set(key ?? `#${this.n++}`, { model, speed, ts, u });
  }
  take(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e) this.entries.delete(key);
    return e;
  }
  finish(): TruthSession {
    const s = this.s;
    s.inputTokens = s.outputTokens = s.cacheCreationTokens = s.cacheReadTokens = s.reasoningOutputTokens = s.totalTokens = 0;
    let first = '';
    let last = '';
    const models = new Set<string>();
    const buckets = new Map<string, ModelBucket>();
    for (const { model, speed, ts, u } of this.entries.values()) {
      s.inputTokens += u.input;
      s.outputTokens += u.output;
      s.cacheCreationTokens += u.c5 + u.c1;
      s.cacheReadTokens += u.read;
      s.reasoningOutputTokens += u.reasoning;
      s.totalTokens += u.input + u.output + u.c5 + u.c1 + u.read;
      const long = s.agent === 'claude-code' ? u.input + u.c5 + u.c1 + u.read > LONG_T : u.input + u.read > 272_000;
      const key = `${model}\u0000${speed}\u0000${long}`;
      let b = buckets.get(key);
      if (!b) {
        b = { model, speed, longContext: long, requests: 0, inputTokens: 0, outputTokens: 0, cacheCreation5mTokens: 0, cacheCreation1hTokens: 0, cacheReadTokens: 0, reasoningOutputTokens: 0 };
        if (long) b.tierExcess = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0 };
        buckets.set(key, b);
      }
      b.requests++;
      b.inputTokens += u.input;
      b.outputTokens += u.output;
      b.cacheCreation5mTokens += u.c5;
      b.cacheCreation1hTokens += u.c1;
      b.cacheReadTokens += u.read;
      b.reasoningOutputTokens += u.reasoning;
      if (b.tierExcess) {
        b.tierExcess.input += Math.max(0, u.input - LONG_T);
        b.tierExcess.cacheCreation += Math.max(0, u.c5 + u.c1 - LONG_T);
        b.tierExcess.cacheRead += Math.max(0, u.read - LONG_T);
        b.tierExcess.output += Math.max(0, u.output - LONG_T);
      }
      models.add(model);
      if (!first || ts < first) first = ts;
      if (!last || ts > last) last = ts;
    }
    s.firstActivity = first;
    s.lastActivity = last;
    s.models = [...models].sort();
    s.breakdown = [...buckets.values()].sort((a, b) =>
      a.model === b.model ? `${a.speed}${a.longContext}`.localeCompare(`${b.speed}${b.longContext}`) : a.model.localeCompare(b.model),
    );
    return s;
  }
}

function newTruth(agent: Agent, sessionId: string, cwd: string): TruthSession {
  return {
    agent,
    sessionId,
    cwd,
    firstActivity: '',
    lastActivity: '',
    models: [],
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    breakdown: [],
    files: [],
    pitfalls: [],
  };
}

// ---------------------------------------------------------------- shared bits

const PROJECTS = [
  'agent-meter', 'webapp', 'api-server', 'infra', 'ml-pipeline', 'docs-site', 'mobile-app', 'cli-tools',
  'payments', 'search', 'data-eng', 'dotfiles', 'game-engine', 'compiler', 'my.project_v2', 'notes',
];
const USERS = ['dev', 'alice', 'bob'];

function claudeSlug(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const CLAUDE_MODELS: ReadonlyArray<[string, number]> = [
  ['claude-sonnet-4-5-20250929', 45],
  ['claude-opus-4-1-20250805', 10],
  ['claude-opus-4-5-20251101', 25],
  ['claude-sonnet-4-20250514', 12],
  ['claude-haiku-4-5-20251001', 8],
];
const LONG_CONTEXT_MODELS = new Set(['claude-sonnet-4-5-20250929', 'claude-sonnet-4-20250514']);
const CODEX_MODELS: ReadonlyArray<[string, number]> = [
  ['gpt-5-codex', 35],
  ['gpt-5', 25],
  ['gpt-5.1-codex', 30],
  ['gpt-5-mini', 10],
];
const CLAUDE_VERSIONS = ['2.0.14', '2.0.28', '2.0.37', '2.0.55', '2.1.3', '2.1.38'];
const TOOLS = ['Read', 'Bash', 'Edit', 'Grep', 'Glob', 'Write', 'TodoWrite', 'WebFetch'];

/** Size of a tool result in characters: mostly small, a heavy tail, rare 1 MB. */
function toolResultSize(rng: Rng, pitfalls: boolean, allowHuge: boolean): number {
  if (allowHuge && pitfalls && rng.chance(0.004)) return rng.int(900_000, 1_100_000);
  const r = rng.next();
  if (r < 0.35) return rng.int(40, 600);
  if (r < 0.8) return Math.min(60_000, Math.floor(rng.logn(4_000, 0.9)));
  if (r < 0.97) return Math.min(120_000, Math.floor(rng.logn(16_000, 0.7)));
  return rng.int(60_000, 250_000);
}

// ---------------------------------------------------------------- Claude

interface ClaudeCall {
  msgId: string;
  reqId: string;
  model: string;
  speed: string; // '' = field absent
  input: number;
  c5: number;
  c1: number;
  read: number;
  output: number;
}

interface ClaudeCtx {
  rng: Rng;
  corpus: Corpus;
  pitfalls: boolean;
  root: string; // outDir
  truthById: Map<string, Acc>;
  /** message.id+requestId → acc of the session that owns it (first logged). */
  seen: Set<string>;
}

interface Recorded {
  line: string; // JSON line (no newline) of an assistant record with usage
  key: string;
  call: ClaudeCall;
  ts: string;
}

class ClaudeSessionWriter {
  sessionId: string;
  cwd: string;
  version: string;
  gitBranch: string;
  slug: string;
  acc: Acc;
  out: Out;
  relFile: string;
  t: number; // current time ms
  lastUuid: string | null = null;
  ctxTokens = 0; // cached context size
  model: string;
  cacheMode: '5m' | '1h' | 'mixed';
  long: boolean;
  newVersion: boolean;
  recorded: Recorded[] = [];
  fastModel = false;
  agentId?: string;
  constructor(
    private c: ClaudeCtx,
    opts: { sessionId: string; cwd: string; startMs: number; model: string; dir?: string; file?: string; acc: Acc; agentId?: string; sidechain?: boolean; version?: string; gitBranch?: string },
  ) {
    const rng = c.rng;
    this.sessionId = opts.sessionId;
    this.cwd = opts.cwd;
    this.version = opts.version ?? rng.pick(CLAUDE_VERSIONS);
    this.newVersion = this.version >= '2.0.55';
    this.gitBranch = opts.gitBranch ?? rng.weighted<string>([['main', 5], ['master', 2], ['feature/' + rng.hex(4), 3], ['HEAD', 1]]);
    this.slug = claudeSlug(opts.cwd);
    this.t = opts.startMs;
    this.model = opts.model;
    this.acc = opts.acc;
    this.agentId = opts.agentId;
    this.sidechain = !!opts.sidechain;
    this.cacheMode = this.newVersion ? rng.weighted<'5m' | '1h' | 'mixed'>([['1h', 6], ['5m', 3], ['mixed', 1]]) : '5m';
    this.long = LONG_CONTEXT_MODELS.has(opts.model) && rng.chance(0.3);
    const rel = opts.file ?? path.join('claude', 'projects', this.slug, `${opts.sessionId}.jsonl`);
    this.relFile = rel;
    this.out = new Out(path.join(c.root, rel));
    if (!this.acc.s.files.includes(rel)) this.acc.s.files.push(rel);
  }
  sidechain: boolean;

  tick(minMs: number, maxMs: number): string {
    this.t += this.c.rng.int(minMs, maxMs);
    return iso(this.t);
  }

  base(): Record<string, unknown> {
    const o: Record<string, unknown> = {
      parentUuid: this.lastUuid,
      isSidechain: this.sidechain,
      userType: 'external',
      cwd: this.cwd,
      sessionId: this.sessionId,
      version: this.version,
      gitBranch: this.gitBranch,
    };
    if (this.agentId) o.agentId = this.agentId;
    return o;
  }

  userText(text: string, extra?: Record<string, unknown>): void {
    const rng = this.c.rng;
    const uuid = rng.uuid4();
    const o = this.base();
    o.type = 'user';
    o.message = { role: 'user', content: text };
    o.uuid = uuid;
    o.timestamp = this.tick(2_000, 120_000);
    if (extra) Object.assign(o, extra);
    else if (!this.sidechain) {
      o.thinkingMetadata = { level: 'high', disabled: false, triggers: [] };
      o.todos = [];
      if (this.newVersion) o.permissionMode = rng.pick(['default', 'acceptEdits', 'bypassPermissions']);
    }
    this.out.line(o);
    this.lastUuid = uuid;
  }

  misc(): void {
    const rng = this.c.rng;
    const r = rng.next();
    const ts = iso(this.t + rng.int(1, 500));
    if (r < 0.3) {
      const mid = rng.uuid4();
      this.out.line({ type: 'file-history-snapshot', messageId: mid, snapshot: { messageId: mid, trackedFileBackups: {}, timestamp: ts }, isSnapshotUpdate: false });
    } else if (r < 0.5 && this.newVersion) {
      this.out.line({ type: 'queue-operation', operation: rng.pick(['enqueue', 'dequeue', 'remove']), timestamp: ts, sessionId: this.sessionId, content: this.c.corpus.sentence(rng) });
    } else if (r < 0.75) {
      const o = this.base();
      const uuid = rng.uuid4();
      Object.assign(o, { type: 'system', subtype: rng.pick(['local_command', 'turn_duration', 'informational']), content: '<command-name>/' + rng.pick(['model', 'mcp', 'cost', 'clear']) + '</command-name>', level: 'info', timestamp: ts, uuid, isMeta: false });
      this.out.line(o);
    } else {
      const o = this.base();
      const id = 'toolu_01' + rng.b62(22);
      Object.assign(o, { type: 'progress', data: { type: 'hook_progress', hookEvent: rng.pick(['PreToolUse', 'PostToolUse', 'SessionStart']), hookName: 'PostToolUse:' + rng.pick(TOOLS), command: 'callback' }, parentToolUseID: id, toolUseID: id, timestamp: ts, uuid: rng.uuid4() });
      this.out.line(o);
    }
  }

  /** Decide usage for the next API call given `added` new context tokens. */
  makeCall(added: number, outTokens: number, model?: string): ClaudeCall {
    const rng = this.c.rng;
    const m = model ?? this.model;
    let read = this.ctxTokens;
    let create = added;
    // occasional cache miss: everything re-written
    if (read > 0 && rng.chance(0.03)) {
      create += read;
      read = 0;
    }
    const input = rng.chance(0.9) ? rng.int(1, 12) : rng.int(13, 3000);
    let c5 = 0,
      c1 = 0;
    if (this.cacheMode === '5m') c5 = create;
    else if (this.cacheMode === '1h') c1 = create;
    else {
      c1 = Math.floor(create * rng.next());
      c5 = create - c1;
    }
    const speed = this.newVersion ? (this.fastModel && rng.chance(0.5) ? 'fast' : 'standard') : '';
    this.ctxTokens = read + create + input + outTokens;
    return { msgId: 'msg_01' + rng.b62(22), reqId: 'req_011C' + rng.b62(20), model: m, speed, input, c5, c1, read, output: outTokens };
  }

  usageObj(call: ClaudeCall, output: number): Record<string, unknown> {
    const u: Record<string, unknown> = {
      input_tokens: call.input,
      cache_creation_input_tokens: call.c5 + call.c1,
      cache_read_input_tokens: call.read,
      cache_creation: { ephemeral_5m_input_tokens: call.c5, ephemeral_1h_input_tokens: call.c1 },
      output_tokens: output,
      service_tier: 'standard',
    };
    if (this.newVersion) u.inference_geo = 'not_available';
    if (call.speed) u.speed = call.speed;
    return u;
  }

  /**
   * Write one API call as one line per content block (Claude Code streams),
   * count it in the truth (if its key is new), and return the tool_use ids.
   */
  assistant(call: ClaudeCall, blocks: Array<Record<string, unknown>>, stop: string | null): { toolUses: Array<{ id: string; name: string }>; uuid: string } {
    const c = this.c;
    const rng = c.rng;
    const key = call.msgId + ':' + call.reqId;
    const toolUses: Array<{ id: string; name: string }> = [];
    let ts = this.tick(1_500, 25_000);
    let firstMaxTs = '';
    let uuid = '';
    for (let i = 0; i < blocks.length; i++) {
      const last = i === blocks.length - 1;
      // provisional output_tokens on earlier streamed copies (pitfall a)
      let out = call.output;
      if (!last && c.pitfalls && blocks.length > 1 && rng.chance(0.5)) out = Math.max(1, Math.floor(call.output * rng.next() * 0.5));
      const b = blocks[i];
      if (b.type === 'tool_use') toolUses.push({ id: b.id as string, name: b.name as string });
      const o = this.base();
      o.message = {
        model: call.model,
        id: call.msgId,
        type: 'message',
        role: 'assistant',
        content: [b],
        stop_reason: last ? stop : null,
        stop_sequence: null,
        usage: this.usageObj(call, out),
      };
      o.requestId = call.reqId;
      o.type = 'assistant';
      uuid = rng.uuid4();
      o.uuid = uuid;
      o.timestamp = ts;
      const line = this.out.line(o);
      if (out === call.output) {
        this.recorded.push({ line, key, call, ts });
        if (!firstMaxTs) firstMaxTs = ts;
      }
      this.lastUuid = uuid;
      if (!last) ts = this.tick(50, 900);
    }
    if (!c.seen.has(key)) {
      c.seen.add(key);
      // the call is stamped with the FIRST copy that has the max total
      this.acc.add(call.model, call.speed, firstMaxTs || ts, {
        input: call.input,
        output: call.output,
        c5: call.c5,
        c1: call.c1,
        read: call.read,
        reasoning: 0,
      }, key);
    }
    return { toolUses, uuid };
  }

  toolResult(toolUseId: string, sourceUuid: string, size: number, isError: boolean): number {
    const rng = this.c.rng;
    const corpus = this.c.corpus;
    const content = isError
      ? rng.pick([
          '<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>',
          "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.",
          'Exit code 1\n' + corpus.text(rng, Math.min(size, 3000)),
        ])
      : corpus.numbered(rng, size);
    const uuid = rng.uuid4();
    const o = this.base();
    o.type = 'user';
    o.message = { role: 'user', content: [{ tool_use_id: toolUseId, type: 'tool_result', content, is_error: isError }] };
    o.uuid = uuid;
    o.timestamp = this.tick(100, 8_000);
    // Claude Code duplicates tool output into toolUseResult (a good share of real bytes)
    o.toolUseResult = isError
      ? 'Error: ' + content.slice(0, 200)
      : rng.chance(0.5)
        ? { stdout: content, stderr: '', interrupted: false, isImage: false }
        : { type: 'text', file: { filePath: this.cwd + '/src/' + rng.pick(['index', 'scan', 'cost', 'util']) + '.ts', content, numLines: content.split('\n').length, startLine: 1, totalLines: 900 } };
    o.sourceToolAssistantUUID = sourceUuid;
    this.out.line(o);
    this.lastUuid = uuid;
    // what reaches the model is truncated by Claude Code
    return Math.min(25_000, Math.ceil(content.length / 3.6));
  }

  thinkingBlock(len: number): Record<string, unknown> {
    const rng = this.c.rng;
    return { type: 'thinking', thinking: this.c.corpus.prose(rng, len), signature: rng.b62(Math.min(2000, 200 + Math.floor(len / 2))) + '==' };
  }
  textBlock(len: number): Record<string, unknown> {
    return { type: 'text', text: this.c.corpus.prose(this.c.rng, len) };
  }
  toolUseBlock(name: string): Record<string, unknown> {
    const rng = this.c.rng;
    const id = 'toolu_01' + rng.b62(22);
    let input: Record<string, unknown>;
    switch (name) {
      case 'Bash':
        input = { command: rng.pick(['npm test', 'git status', 'ls -la src', 'npx tsc --noEmit', 'rg -n "usage" src']), description: this.c.corpus.sentence(rng) };
        break;
      case 'Edit':
        input = { file_path: this.cwd + '/src/x.ts', old_string: this.c.corpus.text(rng, rng.int(50, 1500)), new_string: this.c.corpus.text(rng, rng.int(50, 2500)) };
        break;
      case 'Write':
        input = { file_path: this.cwd + '/src/new.ts', content: this.c.corpus.text(rng, rng.int(500, 12000)) };
        break;
      case 'Task':
        input = { description: 'Explore codebase', prompt: this.c.corpus.prose(rng, rng.int(200, 1200)), subagent_type: rng.pick(['Explore', 'general-purpose']) };
        break;
      default:
        input = { file_path: this.cwd + '/src/' + rng.pick(['a', 'b', 'c']) + '.ts' };
    }
    return { type: 'tool_use', id, name, input };
  }
}

/** Generate one Claude session (plus its subagent / compaction files). */
function genClaudeSession(
  c: ClaudeCtx,
  truth: TruthSession[],
  opts: { sessionId: string; cwd: string; startMs: number; targetBytes: number; forcePitfalls: Set<string>; resumeFrom?: ClaudeSessionWriter },
): ClaudeSessionWriter {
  const rng = c.rng;
  let model = rng.weighted(CLAUDE_MODELS);
  // fast mode (usage.speed "fast") only exists on Opus 4.6
  const fast = c.pitfalls && !opts.resumeFrom && (opts.forcePitfalls.has('fast-speed') || rng.chance(0.03));
  if (fast) model = 'claude-opus-4-6';
  const t = newTruth('claude-code', opts.sessionId, opts.cwd);
  const acc = new Acc(t);
  c.truthById.set(opts.sessionId, acc);
  const w = new ClaudeSessionWriter(c, { sessionId: opts.sessionId, cwd: opts.cwd, startMs: opts.startMs, model, acc, version: opts.resumeFrom?.version, gitBranch: opts.resumeFrom?.gitBranch });
  const pf = (name: string, p: number): boolean => {
    if (!c.pitfalls) return false;
    if (opts.forcePitfalls.has(name)) {
      opts.forcePitfalls.delete(name);
      if (!t.pitfalls.includes(name)) t.pitfalls.push(name);
      return true;
    }
    if (rng.chance(p)) {
      if (!t.pitfalls.includes(name)) t.pitfalls.push(name);
      return true;
    }
    return false;
  };
  if (fast) {
    opts.forcePitfalls.delete('fast-speed');
    t.pitfalls.push('fast-speed');
    w.fastModel = true;
    w.version = '2.1.38';
    w.newVersion = true;
  }

  // (e) resumed session: re-contains the tail of an earlier session, same ids, new sessionId
  if (opts.resumeFrom) {
    t.pitfalls.push('resume-copy');
    const prev = opts.resumeFrom;
    w.out.line({ type: 'summary', summary: c.corpus.sentence(rng), leafUuid: rng.uuid4() });
    const tail = prev.recorded.slice(-Math.min(prev.recorded.length, rng.int(3, 12)));
    // Attribution of the copies (ccusage-compatible): the copy in the file
    // whose path sorts first wins. Both files are in the same project folder,
    // so that is the smaller session id.
    const moveHere = opts.sessionId < prev.sessionId;
    if (moveHere) t.pitfalls.push('resume-owns-copies');
    for (const r of tail) {
      const o = JSON.parse(r.line) as Record<string, unknown>;
      o.sessionId = opts.sessionId;
      w.out.line(o);
      if (moveHere) {
        const e = prev.acc.take(r.key);
        if (e) acc.entries.set(r.key, e);
      }
    }
    w.ctxTokens = prev.ctxTokens;
    w.t = Math.max(w.t, prev.t + 60_000);
  }

  if (rng.chance(0.5)) w.out.line({ type: 'summary', summary: c.corpus.sentence(rng), leafUuid: rng.uuid4() });
  // SessionStart hooks
  for (let i = rng.int(0, 2); i > 0; i--) w.misc();

  let subIdx = 0;
  const pitfallEvery = () => c.pitfalls && rng.chance(0.08);
  while (w.out.bytes < opts.targetBytes) {
    // ---- one user turn
    if (rng.chance(0.4)) w.misc();
    w.userText(rng.chance(0.9) ? c.corpus.prose(rng, rng.int(20, 1500)) : '<command-name>/' + rng.pick(['model', 'review', 'init']) + '</command-name>');
    let added = Math.ceil(rng.int(50, 2000) / 3.6) + (w.ctxTokens === 0 ? rng.int(12_000, 22_000) : 0);
    const calls = Math.max(1, Math.floor(rng.logn(4, 0.8)));
    for (let k = 0; k < calls; k++) {
      const lastCall = k === calls - 1 || w.out.bytes > opts.targetBytes * 1.1;
      const blocks: Array<Record<string, unknown>> = [];
      let outChars = 0;
      if (rng.chance(0.45)) {
        const b = w.thinkingBlock(Math.floor(rng.logn(800, 1.0)));
        blocks.push(b);
        outChars += (b.thinking as string).length;
      }
      if (rng.chance(lastCall ? 1 : 0.6)) {
        const b = w.textBlock(Math.floor(rng.logn(lastCall ? 1200 : 250, 0.9)));
        blocks.push(b);
        outChars += (b.text as string).length;
      }
      const nTools = lastCall ? 0 : rng.weighted<number>([[1, 7], [2, 2], [3, 1]]);
      let spawnTask = false;
      for (let i = 0; i < nTools; i++) {
        const name = !spawnTask && rng.chance(0.05) ? 'Task' : rng.pick(TOOLS);
        if (name === 'Task') spawnTask = true;
        const b = w.toolUseBlock(name);
        blocks.push(b);
        outChars += JSON.stringify(b.input).length;
      }
      if (!blocks.length) blocks.push(w.textBlock(40));
      if (lastCall && k < calls - 1) k = calls;
      const outTokens = Math.max(1, Math.ceil(outChars / 3.8) + rng.int(0, 40));
      // compaction (auto-compact before the context overflows)
      if (w.ctxTokens + added > (w.long ? 420_000 : 160_000)) added += genCompaction(c, w, pf);
      const call = w.makeCall(added, outTokens);
      added = 0;
      const { toolUses, uuid } = w.assistant(call, blocks, lastCall ? 'end_turn' : 'tool_use');

      // (g) assistant record without usage
      if (pf('assistant-no-usage', 0.01)) {
        const o = w.base();
        o.message = { id: 'msg_01' + rng.b62(22), type: 'message', role: 'assistant', model: w.model, content: [{ type: 'text', text: 'No response requested.' }] };
        o.type = 'assistant';
        o.uuid = rng.uuid4();
        o.timestamp = iso(w.t + 10);
        w.out.line(o);
      }
      // (c) <synthetic> API error record
      if (pf('synthetic', 0.01)) {
        const o = w.base();
        o.message = {
          id: rng.uuid4(),
          container: null,
          model: '<synthetic>',
          role: 'assistant',
          stop_reason: 'stop_sequence',
          stop_sequence: '',
          type: 'message',
          usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 0 }, service_tier: null, cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 } },
          content: [{ type: 'text', text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }],
        };
        o.type = 'assistant';
        o.uuid = rng.uuid4();
        o.timestamp = iso(w.t + 20);
        o.isApiErrorMessage = true;
        w.out.line(o);
      }

      for (const tu of toolUses) {
        if (rng.chance(0.3)) w.misc();
        if (tu.name === 'Task') {
          const res = genSubagent(c, w, tu.id, subIdx++, pf);
          added += w.toolResult(tu.id, uuid, res, false);
        } else {
          const isErr = rng.chance(0.04) || pf('tool-error', 0.02);
          added += w.toolResult(tu.id, uuid, toolResultSize(rng, c.pitfalls, opts.targetBytes > 3_000_000), isErr);
        }
      }
      if (pitfallEvery()) w.misc();
    }
    // (f) garbage lines in the middle of a file
    if (pf('malformed-line', 0.02)) {
      const g = rng.int(0, 2);
      if (g === 0) w.out.raw('{"parentUuid":"' + rng.uuid4() + '","isSidechain":false,"type":"assistant","message":{"usage":{"input_tokens":5,"output_tok\n');
      else if (g === 1) w.out.raw(Buffer.from(Array.from({ length: rng.int(20, 200) }, () => rng.int(0, 255))).toString('latin1').replace(/\n/g, ' ') + '\n');
      else w.out.raw('not json at all\n');
    }
  }

  // (f) final partial line, no newline, truncated JSON
  if (pf('truncated-tail', 0.03)) {
    const o = w.base();
    o.message = { model: w.model, id: 'msg_01' + rng.b62(22), type: 'message', role: 'assistant', content: [], usage: { input_tokens: 7, cache_creation_input_tokens: 100, cache_read_input_tokens: 5000, output_tokens: 99 } };
    o.requestId = 'req_011C' + rng.b62(20);
    o.type = 'assistant';
    o.timestamp = iso(w.t + 1000);
    const s = JSON.stringify(o);
    w.out.raw(s.slice(0, s.length - rng.int(3, 40)));
  }
  w.out.close();
  truth.push(t);
  return w;
}

function genSubagent(c: ClaudeCtx, parent: ClaudeSessionWriter, _toolUseId: string, idx: number, pf: (n: string, p: number) => boolean): number {
  const rng = c.rng;
  const agentId = rng.hex(7) + (idx > 15 ? idx.toString(16) : '');
  const rel = path.join('claude', 'projects', parent.slug, parent.sessionId, 'subagents', `agent-${agentId}.jsonl`);
  const model = rng.weighted<string>([['claude-haiku-4-5-20251001', 5], ['claude-sonnet-4-5-20250929', 4], [parent.model, 2]]);
  const sw = new ClaudeSessionWriter(c, { sessionId: parent.sessionId, cwd: parent.cwd, startMs: parent.t, model, acc: parent.acc, agentId, sidechain: true, file: rel, version: parent.version, gitBranch: parent.gitBranch });
  sw.userText(c.corpus.prose(rng, rng.int(200, 1500)), {});
  let added = rng.int(8_000, 14_000);
  const n = rng.int(2, 10);
  // (d) sidechain replay: a record already logged in the main file
  if (parent.recorded.length && pf('sidechain-replay', 0.3)) {
    const r = parent.recorded[parent.recorded.length - 1];
    const o = JSON.parse(r.line) as Record<string, unknown>;
    o.isSidechain = true;
    o.agentId = agentId;
    sw.out.line(o);
  }
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    const blocks = [sw.textBlock(Math.floor(rng.logn(last ? 900 : 200, 0.8)))];
    if (!last) blocks.push(sw.toolUseBlock(rng.pick(['Read', 'Grep', 'Glob', 'Bash'])));
    const outTokens = Math.ceil(JSON.stringify(blocks).length / 3.8);
    const call = sw.makeCall(added, outTokens);
    added = 0;
    const { toolUses, uuid } = sw.assistant(call, blocks, last ? 'end_turn' : 'tool_use');
    // (b) progress record in the parent file embedding this subagent message (with usage)
    if (pf('progress-embed', 0.5)) {
      const r = sw.recorded[sw.recorded.length - 1];
      const inner = JSON.parse(r.line) as Record<string, unknown>;
      const o = parent.base();
      Object.assign(o, {
        type: 'progress',
        data: { message: { type: 'assistant', message: inner.message, requestId: inner.requestId, uuid: inner.uuid, timestamp: inner.timestamp }, normalizedMessages: [], type: 'agent_progress', prompt: '', agentId },
        toolUseID: 'agent_msg_' + rng.b62(20),
        parentToolUseID: _toolUseId,
        uuid: rng.uuid4(),
        timestamp: inner.timestamp,
      });
      parent.out.line(o);
    }
    for (const tu of toolUses) added += sw.toolResult(tu.id, uuid, toolResultSize(rng, c.pitfalls, false), rng.chance(0.03));
  }
  sw.out.close();
  parent.t = sw.t;
  return rng.int(300, 4000);
}

function genCompaction(c: ClaudeCtx, w: ClaudeSessionWriter, pf: (n: string, p: number) => boolean): number {
  const rng = c.rng;
  const agentId = 'acompact-' + rng.hex(6);
  const rel = path.join('claude', 'projects', w.slug, w.sessionId, 'subagents', `agent-${agentId}.jsonl`);
  pf('compaction', 1);
  const sw = new ClaudeSessionWriter(c, { sessionId: w.sessionId, cwd: w.cwd, startMs: w.t, model: w.model, acc: w.acc, agentId, sidechain: true, file: rel, version: w.version, gitBranch: w.gitBranch });
  sw.cacheMode = '5m';
  sw.ctxTokens = w.ctxTokens - rng.int(0, 20_000);
  sw.userText('Your task is to create a detailed summary of the conversation so far, paying close attention to the user\'s explicit requests and your previous actions.\n' + c.corpus.prose(rng, 2500), {});
  const summary = sw.textBlock(rng.int(6_000, 20_000));
  const call = sw.makeCall(rng.int(200, 3000), Math.ceil((summary.text as string).length / 3.8));
  sw.assistant(call, [summary], 'end_turn');
  sw.out.close();
  w.t = sw.t;
  const o = w.base();
  const uuid = rng.uuid4();
  Object.assign(o, { type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', isMeta: false, timestamp: w.tick(500, 2000), uuid, level: 'info', compactMetadata: { trigger: 'auto', preTokens: w.ctxTokens } });
  w.out.line(o);
  w.lastUuid = uuid;
  w.userText('This session is being continued from a previous conversation that ran out of context. The conversation is summarized below:\n' + (summary.text as string), { isVisibleInTranscriptOnly: true, isCompactSummary: true });
  w.ctxTokens = 0; // next call re-creates the cache from the summary
  return rng.int(12_000, 20_000) + Math.ceil((summary.text as string).length / 3.8);
}

// ---------------------------------------------------------------- Codex

interface CodexUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

function cu(input: number, cached: number, output: number, reasoning: number): CodexUsage {
  return { input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: reasoning, total_tokens: input + output };
}
function addU(a: CodexUsage, b: CodexUsage): CodexUsage {
  return cu(a.input_tokens + b.input_tokens, a.cached_input_tokens + b.cached_input_tokens, a.output_tokens + b.output_tokens, a.reasoning_output_tokens + b.reasoning_output_tokens);
}

interface CodexWritten {
  id: string;
  rel: string;
  lines: string[]; // kept only for fork sources (small)
  tokenCountIdx: number[]; // indexes into lines of token_count events
  totalAt: CodexUsage[]; // cumulative total at each token_count event index
  endMs: number;
  cwd: string;
  model: string;
}

function genCodexSession(
  rng: Rng,
  corpus: Corpus,
  pitfalls: boolean,
  root: string,
  truth: TruthSession[],
  opts: { startMs: number; targetBytes: number; forcePitfalls: Set<string>; forkOf?: CodexWritten; keepLines?: boolean; cwd: string },
): CodexWritten {
  const id = rng.uuid7(opts.startMs);
  const d = new Date(opts.startMs);
  const yyyy = String(d.getUTCFullYear());
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  const stamp = iso(opts.startMs).slice(0, 19).replace(/:/g, '-');
  const rel = path.join('codex', 'sessions', yyyy, mm, dd, `rollout-${stamp}-${id}.jsonl`);
  const out = new Out(path.join(root, rel));
  const cwd = opts.forkOf ? opts.forkOf.cwd : opts.cwd;
  const t = newTruth('codex', id, cwd);
  t.files.push(rel);
  const acc = new Acc(t);
  const lines: string[] = [];
  const tokenCountIdx: number[] = [];
  const totalAt: CodexUsage[] = [];
  const keep = !!opts.keepLines;
  const write = (o: unknown): void => {
    const s = out.line(o);
    if (keep) lines.push(s);
  };
  const pf = (name: string, p: number): boolean => {
    if (!pitfalls) return false;
    if (opts.forcePitfalls.has(name) || rng.chance(p)) {
      opts.forcePitfalls.delete(name);
      if (!t.pitfalls.includes(name)) t.pitfalls.push(name);
      return true;
    }
    return false;
  };
  let ms = opts.startMs;
  const ts = (a: number, b: number): string => {
    ms += rng.int(a, b);
    return iso(ms);
  };
  let model = rng.weighted(CODEX_MODELS);
  const cli = rng.pick(['0.46.0', '0.50.0', '0.58.0', '0.63.0']);
  const meta: Record<string, unknown> = {
    id,
    timestamp: iso(ms),
    cwd,
    originator: rng.pick(['codex_cli_rs', 'codex_vscode']),
    cli_version: cli,
    instructions: null,
    source: rng.pick(['cli', 'vscode', 'exec']),
    model_provider: 'openai',
  };
  if (opts.forkOf) meta.forked_from_id = opts.forkOf.id;
  if (rng.chance(0.7)) meta.git = { commit_hash: rng.hex(40), branch: 'main', repository_url: 'git@github.com:example/' + path.basename(cwd) + '.git' };
  write({ timestamp: iso(ms), type: 'session_meta', payload: meta });

  let total = cu(0, 0, 0, 0);
  let ctx = 0;
  if (opts.forkOf) {
    // (j) replay a prefix of the parent verbatim (same timestamps, same totals)
    t.pitfalls.push('fork-replay');
    const src = opts.forkOf;
    const cut = src.tokenCountIdx.length ? src.tokenCountIdx[rng.int(Math.floor(src.tokenCountIdx.length / 2), src.tokenCountIdx.length - 1)] : src.lines.length - 1;
    for (let i = 1; i <= cut; i++) {
      out.raw(src.lines[i] + '\n');
      if (keep) lines.push(src.lines[i]); // a fork of this fork replays the whole history
      const j = src.tokenCountIdx.indexOf(i);
      if (j >= 0) {
        total = src.totalAt[j];
        if (keep) {
          tokenCountIdx.push(lines.length - 1);
          totalAt.push(total);
        }
      }
      if (src.lines[i].includes('"type":"turn_context"')) model = (JSON.parse(src.lines[i]) as { payload: { model: string } }).payload.model;
    }
    ctx = total.input_tokens > 0 ? Math.min(200_000, Math.floor(total.input_tokens / 8)) : 0;
    ms = Math.max(ms, src.endMs) + rng.int(60_000, 3_600_000);
    opts.targetBytes += out.bytes;
  } else {
    write({ timestamp: ts(1, 20), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<user_instructions>\n' + corpus.prose(rng, rng.int(500, 4000)) + '\n</user_instructions>' }] } });
    write({ timestamp: ts(1, 20), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>' + cwd + '</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n  <shell>bash</shell>\n</environment_context>' }] } });
  }
  let firstTc = true;
  let infoModel = false;

  const tokenCount = (info: Record<string, unknown> | null): void => {
    const o = { timestamp: ts(5, 400), type: 'event_msg', payload: { type: 'token_count', info, rate_limits: { primary: { used_percent: rng.int(0, 90), window_minutes: 299, resets_in_seconds: rng.int(10, 17000) }, secondary: { used_percent: rng.int(0, 60), window_minutes: 10079, resets_in_seconds: rng.int(1000, 600000) } } } };
    write(o);
    if (keep && info && info.total_token_usage) {
      tokenCountIdx.push(lines.length - 1);
      totalAt.push(info.total_token_usage as CodexUsage);
    }
  };

  while (out.bytes < opts.targetBytes) {
    // ---- turn
    if (rng.chance(0.1)) model = rng.weighted(CODEX_MODELS); // (i) model switch via turn_context
    write({ timestamp: ts(2_000, 200_000), type: 'turn_context', payload: { cwd, approval_policy: 'on-request', sandbox_policy: { mode: 'workspace-write', network_access: false, exclude_tmpdir_env_var: false, exclude_slash_tmp: false }, model, effort: rng.pick(['low', 'medium', 'high']), summary: 'auto' } });
    const prompt = corpus.prose(rng, rng.int(30, 1500));
    write({ timestamp: ts(1, 50), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] } });
    write({ timestamp: ts(1, 5), type: 'event_msg', payload: { type: 'user_message', message: prompt, images: [] } });
    if (firstTc) {
      tokenCount(null); // info:null, rate limits only
      firstTc = false;
    }
    let added = Math.ceil(prompt.length / 4) + (ctx === 0 ? rng.int(6_000, 12_000) : 0);
    const calls = Math.max(1, Math.floor(rng.logn(5, 0.8)));
    for (let k = 0; k < calls; k++) {
      const last = k === calls - 1 || out.bytes > opts.targetBytes * 1.1;
      if (last) k = calls;
      const reasoning = rng.chance(0.7) ? Math.floor(rng.logn(300, 1.0)) : 0;
      if (reasoning) {
        const summ = corpus.sentence(rng);
        write({ timestamp: ts(500, 20_000), type: 'event_msg', payload: { type: 'agent_reasoning', text: '**' + summ + '**' } });
        write({ timestamp: ts(1, 5), type: 'response_item', payload: { type: 'reasoning', summary: [{ type: 'summary_text', text: '**' + summ + '**' }], content: null, encrypted_content: 'gAAAAA' + rng.b62(Math.min(40_000, reasoning * 5)) } });
      }
      let outChars = 0;
      let callId = '';
      let args = '';
      if (!last) {
        callId = 'call_' + rng.b62(24);
        const name = rng.pick(['shell', 'shell', 'exec_command', 'update_plan', 'apply_patch']);
        args = JSON.stringify(name === 'apply_patch' ? { input: '*** Begin Patch\n*** Update File: src/a.ts\n' + corpus.text(rng, rng.int(200, 6000)) + '\n*** End Patch' } : { command: ['bash', '-lc', rng.pick(['rg -n token src', 'cat src/index.ts', 'npm test', 'ls -R | head -200', 'git diff'])], workdir: cwd, timeout_ms: 120000 });
        outChars += args.length;
        write({ timestamp: ts(100, 5_000), type: 'response_item', payload: { type: 'function_call', name, arguments: args, call_id: callId } });
      } else {
        const msg = corpus.prose(rng, Math.floor(rng.logn(900, 0.8)));
        outChars += msg.length;
        write({ timestamp: ts(100, 5_000), type: 'event_msg', payload: { type: 'agent_message', message: msg } });
        write({ timestamp: ts(1, 5), type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: msg }] } });
      }
      // usage of this call
      const input = ctx + added;
      let cached = Math.max(0, Math.floor(ctx / 64) * 64 - (rng.chance(0.05) ? ctx : 0));
      if (cached > input) cached = input;
      const output = Math.ceil(outChars / 4) + reasoning + rng.int(0, 30);
      const callU = cu(input, cached, output, reasoning);
      ctx = input + output;
      added = 0;
      const callModel = model;
      let usedModel = callModel;
      // (h) missing total_token_usage: the event carries only last_token_usage
      const missing = pf('codex-missing-total', 0.01);
      // (h) drop: totals restart (resume/compaction)
      const drop = !missing && total.total_tokens > 0 && pf('codex-total-drop', 0.01);
      const info: Record<string, unknown> = {};
      if (drop) {
        total = callU;
        info.total_token_usage = total;
      } else {
        total = addU(total, callU);
        if (!missing) info.total_token_usage = total;
      }
      info.last_token_usage = callU;
      info.model_context_window = 272000;
      if (pf('codex-info-model', 0.02) || infoModel) {
        // (i) info.model wins over turn_context
        infoModel = true;
        usedModel = callModel === 'gpt-5' ? 'gpt-5-codex' : callModel;
        info.model = usedModel;
      }
      tokenCount(info);
      acc.add(usedModel, '', iso(ms), { input: input - cached, output, c5: 0, c1: 0, read: cached, reasoning });
      // (h) re-emitted duplicates with unchanged totals (very common in real logs)
      if (pitfalls && !missing && rng.chance(0.35)) tokenCount(info);
      if (!last) {
        const size = toolResultSize(rng, pitfalls, opts.targetBytes > 3_000_000);
        const outText = corpus.text(rng, size);
        write({ timestamp: ts(50, 30_000), type: 'response_item', payload: { type: 'function_call_output', call_id: callId, output: JSON.stringify({ output: outText, metadata: { exit_code: rng.chance(0.9) ? 0 : 1, duration_seconds: rng.int(1, 3000) / 100 } }) } });
        added += Math.min(10_000, Math.ceil(size / 4));
      }
    }
    if (ctx > 230_000) {
      // compaction
      write({ timestamp: ts(10, 500), type: 'compacted', payload: { message: corpus.prose(rng, 3000) } });
      ctx = rng.int(8_000, 20_000);
    }
    if (pf('codex-garbage', 0.01)) out.raw('{"timestamp":"' + iso(ms) + '","type":"event_msg","payload":{"type":"token_cou\n');
  }
  out.close();
  truth.push(acc.finish());
  return { id, rel, lines, tokenCountIdx, totalAt, endMs: ms, cwd, model };
}

// ---------------------------------------------------------------- entry point

export function generate(opts: GenerateOptions): Truth {
  const seed = opts.seed >>> 0;
  const rng = new Rng(seed);
  const corpus = new Corpus(new Rng(seed ^ 0x9e3779b9));
  const pitfalls = opts.pitfalls !== false;
  const claudeBytes = opts.claudeBytes ?? 4 << 20;
  const codexBytes = opts.codexBytes ?? 1 << 20;
  const root = opts.outDir;
  const start = Date.parse(opts.startDate ?? '2025-10-01T08:00:00Z');
  const span = (opts.spanDays ?? 60) * 86_400_000;
  fs.mkdirSync(path.join(root, 'claude', 'projects'), { recursive: true });
  fs.mkdirSync(path.join(root, 'codex', 'sessions'), { recursive: true });
  const truth: TruthSession[] = [];

  const cwds: string[] = [];
  for (const p of PROJECTS) cwds.push(`/home/${rng.pick(USERS)}/${rng.chance(0.7) ? 'projects/' : ''}${p}`);

  // ---------------- Claude
  const median = (total: number) => opts.sessions?.medianBytes ?? Math.max(20_000, Math.min(1_500_000, total / 8));
  const maxB = (total: number) => opts.sessions?.maxBytes ?? Math.max(60_000, Math.min(40_000_000, total / 3));
  const cctx: ClaudeCtx = { rng, corpus, pitfalls, root, truthById: new Map(), seen: new Set() };
  const forceC = new Set(
    pitfalls
      ? ['fast-speed', 'assistant-no-usage', 'synthetic', 'sidechain-replay', 'progress-embed', 'malformed-line', 'truncated-tail', 'tool-error']
      : [],
  );
  let written = 0;
  const sessionsC: ClaudeSessionWriter[] = [];
  let i = 0;
  while (written < claudeBytes) {
    const cwd = cwds[i % 5 === 0 ? 0 : rng.int(0, cwds.length - 1)];
    const startMs = start + Math.floor((span * i) / Math.max(1, claudeBytes / median(claudeBytes))) + rng.int(0, 3_600_000);
    const target = Math.min(maxB(claudeBytes), Math.max(8_000, rng.logn(median(claudeBytes), 1.0)));
    let resumeFrom: ClaudeSessionWriter | undefined;
    if (pitfalls && sessionsC.length && (i === 2 || rng.chance(0.04))) resumeFrom = sessionsC[sessionsC.length - 1];
    const w = genClaudeSession(cctx, truth, {
      sessionId: rng.uuid4(),
      cwd: resumeFrom ? resumeFrom.cwd : cwd,
      startMs: resumeFrom ? resumeFrom.t + rng.int(60_000, 7_200_000) : startMs,
      targetBytes: target,
      forcePitfalls: forceC,
      resumeFrom,
    });
    // only the last session needs its recorded lines (resume source); free memory
    if (sessionsC.length) sessionsC[sessionsC.length - 1].recorded = [];
    sessionsC.push(w);
    written += dirBytes(path.join(root, 'claude', 'projects', w.slug), w.sessionId, w.out.bytes);
    i++;
  }
  for (const s of sessionsC) s.recorded = [];
  if (pitfalls) {
    // (f) an empty file, a file of garbage only
    const p = path.join(root, 'claude', 'projects', claudeSlug(cwds[1]));
    fs.mkdirSync(p, { recursive: true });
    fs.writeFileSync(path.join(p, rng.uuid4() + '.jsonl'), '');
    fs.writeFileSync(path.join(p, rng.uuid4() + '.jsonl'), '\n\u0000\u0001garbage\n{"type":"user"\n');
  }
  for (const s of truth) if (s.agent === 'claude-code') cctx.truthById.get(s.sessionId)!.finish();

  // ---------------- Codex
  const forceX = new Set(pitfalls ? ['codex-missing-total', 'codex-total-drop', 'codex-info-model', 'codex-garbage'] : []);
  let xw = 0;
  let j = 0;
  let prev: CodexWritten | undefined;
  const codexSessions: CodexWritten[] = [];
  while (xw < codexBytes) {
    const startMs = start + Math.floor((span * j) / Math.max(1, codexBytes / median(codexBytes))) + rng.int(0, 3_600_000);
    const target = Math.min(maxB(codexBytes), Math.max(6_000, rng.logn(median(codexBytes) * 0.6, 1.0)));
    const fork = pitfalls && prev && prev.lines.length > 0 && (j === 3 || rng.chance(0.05));
    const keep = pitfalls && target < 3_000_000;
    const r = genCodexSession(rng, corpus, pitfalls, root, truth, {
      startMs: fork ? prev!.endMs + rng.int(60_000, 3_600_000) : startMs,
      targetBytes: target,
      forcePitfalls: forceX,
      forkOf: fork ? prev : undefined,
      keepLines: keep,
      cwd: rng.pick(cwds),
    });
    xw += fs.statSync(path.join(root, r.rel)).size;
    if (prev) prev.lines = [];
    prev = r;
    codexSessions.push(r);
    j++;
  }
  if (prev) prev.lines = [];
  if (pitfalls && codexSessions.length > 1) {
    // (k) one rollout in both sessions/ and archived_sessions/; another only archived
    const arch = path.join(root, 'codex', 'archived_sessions');
    fs.mkdirSync(arch, { recursive: true });
    const both = codexSessions[0];
    fs.copyFileSync(path.join(root, both.rel), path.join(arch, path.basename(both.rel)));
    const ts = truth.find((s) => s.sessionId === both.id)!;
    ts.pitfalls.push('archived-duplicate');
    ts.files.push(path.join('codex', 'archived_sessions', path.basename(both.rel)));
    const only = codexSessions[codexSessions.length - 1];
    const dest = path.join(arch, path.basename(only.rel));
    fs.renameSync(path.join(root, only.rel), dest);
    const to = truth.find((s) => s.sessionId === only.id)!;
    to.pitfalls.push('archived-only');
    to.files = [path.join('codex', 'archived_sessions', path.basename(only.rel))];
  }

  // sessions with no counted usage are not sessions (they have nothing billed)
  const sessions = truth.filter((s) => s.totalTokens > 0 || s.breakdown.length > 0);
  sessions.sort((a, b) => (a.agent === b.agent ? a.sessionId.localeCompare(b.sessionId) : a.agent.localeCompare(b.agent)));
  return { seed, claudeBytes: written, codexBytes: xw, sessions };
}

function dirBytes(projectDir: string, sessionId: string, mainBytes: number): number {
  let n = mainBytes;
  const sub = path.join(projectDir, sessionId, 'subagents');
  if (fs.existsSync(sub)) for (const f of fs.readdirSync(sub)) n += fs.statSync(path.join(sub, f)).size;
  return n;
}

// ---------------------------------------------------------------- CLI

if (require.main === module && /generator\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const [outDir, seedS, cb, xb, pit] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: generator <outDir> [seed=1] [claudeBytes=4194304] [codexBytes=1048576] [pitfalls=1]');
    process.exit(2);
  }
  const t0 = Date.now();
  const truth = generate({ outDir, seed: Number(seedS ?? 1), claudeBytes: cb ? Number(cb) : undefined, codexBytes: xb ? Number(xb) : undefined, pitfalls: pit !== '0' });
  fs.writeFileSync(path.join(outDir, 'truth.json'), JSON.stringify(truth, null, 1));
  console.error(`generated ${truth.sessions.length} sessions, claude ${(truth.claudeBytes / 1e6).toFixed(1)} MB, codex ${(truth.codexBytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
}
