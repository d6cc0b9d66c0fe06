import type { Pricer, Provider } from '../pricing/pricer';
import type { AgentId, UsageRecord } from '../sources/types';

/** A usage record as the ledger keeps it: priced once, tagged with the file it came from. */
export interface LedgerRecord extends UsageRecord {
  readonly fileId: number;
  /** Dollars, or null when the model is not in the price table. */
  readonly costUSD: number | null;
  /** Billed tokens: input + output + cache writes + cache reads. */
  readonly totalTokens: number;
}

/** Token and money totals of a set of records. */
export interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
  /** Sum over priced records; null when no record was priced. */
  costUSD: number | null;
  requests: number;
}

export interface ModelTotals extends Totals {
  readonly model: string;
  /** False when any request of the model could not be priced (costUSD then covers the rest). */
  priced: boolean;
}

/** One agent session, in the shape the CLI prints (ccusage's field meanings). */
export interface SessionSummary extends Totals {
  readonly agent: AgentId;
  readonly sessionId: string;
  readonly cwd: string | undefined;
  readonly firstActivity: number;
  readonly lastActivity: number;
  readonly models: string[];
  readonly unpricedModels: string[];
  readonly byModel: ModelTotals[];
}

const PROVIDER: Record<AgentId, Provider> = { 'claude-code': 'anthropic', codex: 'openai' };

export function emptyTotals(): Totals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUSD: null,
    requests: 0,
  };
}

/** Adds one record into running totals. */
export function addRecord(totals: Totals, r: LedgerRecord): void {
  totals.inputTokens += r.inputTokens;
  totals.outputTokens += r.outputTokens;
  totals.cacheWrite5mTokens += r.cacheWrite5mTokens;
  totals.cacheWrite1hTokens += r.cacheWrite1hTokens;
  totals.cacheCreationTokens += r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  totals.cacheReadTokens += r.cacheReadTokens;
  totals.reasoningOutputTokens += r.reasoningOutputTokens;
  totals.totalTokens += r.totalTokens;
  totals.requests += 1;
  if (r.costUSD !== null) totals.costUSD = (totals.costUSD ?? 0) + r.costUSD;
}

/** A record and its index in its file's list, for O(1) replacement of streamed copies. */
interface StoredRecord extends LedgerRecord {
  slot: number;
}

interface SessionEntry {
  readonly agent: AgentId;
  readonly sessionId: string;
  cwd: string | undefined;
  readonly records: Set<LedgerRecord>;
}

/**
 * Counts every billed request once. Records with the same key (streamed copies of one message,
 * replays in subagent or resumed transcripts, forked Codex rollouts) compete: the copy with the
 * largest token total wins, ties going to the copy seen first. Each file keeps its best copy, so
 * removing or re-reading a file lets the next best copy take over.
 */
export class Ledger {
  private readonly candidates = new Map<string, StoredRecord[]>();
  private readonly byFile = new Map<number, StoredRecord[]>();
  /** agent → sessionId → entry (nested, so the hot path never builds a key string). */
  private readonly sessions = new Map<AgentId, Map<string, SessionEntry>>();
  private readonly changed = new Set<SessionEntry>();
  private version = 0;

  /**
   * @param preferFile orders two files holding equal copies of one request (negative: the first
   * wins), so the result does not depend on the order files were read. By default the lower id.
   */
  constructor(
    private readonly pricer: Pricer,
    private readonly preferFile: (a: number, b: number) => number = (a, b) => a - b,
  ) {}

  /** Increases whenever the counted records change; cheap to compare. */
  get generation(): number {
    return this.version;
  }

  add(record: UsageRecord, fileId: number): void {
    const stored = this.store(record, fileId);
    let fileRecords = this.byFile.get(fileId);
    if (!fileRecords) this.byFile.set(fileId, (fileRecords = []));
    if (!record.key) {
      fileRecords.push(stored);
      this.attach(stored);
      return;
    }
    const rivals = this.candidates.get(record.key);
    if (!rivals) {
      this.candidates.set(record.key, [stored]);
      stored.slot = fileRecords.push(stored) - 1;
      this.attach(stored);
      return;
    }
    const winner = rivals[0];
    const sameFile = rivals.findIndex((r) => r.fileId === fileId);
    if (sameFile >= 0) {
      // A later streamed copy in the same file: keep the larger.
      const previous = rivals[sameFile];
      if (stored.totalTokens <= previous.totalTokens) return;
      rivals[sameFile] = stored;
      stored.slot = previous.slot;
      fileRecords[previous.slot] = stored;
      if (previous === winner) this.detach(previous);
    } else {
      rivals.push(stored);
      stored.slot = fileRecords.push(stored) - 1;
    }
    this.crown(rivals, winner);
  }

  /** Prices a record once and gives every stored record the same shape (one hidden class). */
  private store(r: UsageRecord, fileId: number): StoredRecord {
    return {
      agent: r.agent,
      sessionId: r.sessionId,
      key: r.key,
      timestamp: r.timestamp,
      model: r.model,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cacheWrite5mTokens: r.cacheWrite5mTokens,
      cacheWrite1hTokens: r.cacheWrite1hTokens,
      cacheReadTokens: r.cacheReadTokens,
      reasoningOutputTokens: r.reasoningOutputTokens,
      speed: r.speed,
      fileId,
      totalTokens: r.inputTokens + r.outputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens,
      costUSD: this.pricer.cost(PROVIDER[r.agent], r.model, r, { at: r.timestamp, speed: r.speed }),
      slot: -1,
    };
  }

  /** Forgets everything a file contributed (the file was deleted, truncated or replaced). */
  removeFile(fileId: number): void {
    const records = this.byFile.get(fileId);
    if (!records) return;
    this.byFile.delete(fileId);
    for (const record of records) {
      if (!record.key) {
        this.detach(record);
        continue;
      }
      const rivals = this.candidates.get(record.key);
      if (!rivals) continue;
      const winner = rivals[0];
      rivals.splice(rivals.indexOf(record), 1);
      if (record === winner) this.detach(record);
      if (rivals.length === 0) this.candidates.delete(record.key);
      else this.crown(rivals, record === winner ? undefined : winner);
    }
  }

  /** Records a session's working folder (from the file that names it). */
  setSessionCwd(agent: AgentId, sessionId: string, cwd: string): void {
    const entry = this.session(agent, sessionId);
    if (entry.cwd === undefined) entry.cwd = cwd;
  }

  /** The records a file contributed (its best copy of each key), in the order read. */
  recordsOfFile(fileId: number): readonly LedgerRecord[] {
    return this.byFile.get(fileId) ?? [];
  }

  /** Counted records of one session, oldest first. */
  sessionRecords(agent: AgentId, sessionId: string): LedgerRecord[] {
    const entry = this.sessions.get(agent)?.get(sessionId);
    return entry ? [...entry.records].sort((a, b) => a.timestamp - b.timestamp) : [];
  }

  /** Session keys (`agent:sessionId`) whose records changed since the last call. */
  drainChanged(): string[] {
    const keys = [...this.changed].map((e) => sessionKey(e.agent, e.sessionId));
    this.changed.clear();
    return keys;
  }

  summaries(filter?: (agent: AgentId, sessionId: string, cwd: string | undefined) => boolean): SessionSummary[] {
    const out: SessionSummary[] = [];
    for (const entry of this.allSessions()) {
      if (entry.records.size === 0) continue;
      if (filter && !filter(entry.agent, entry.sessionId, entry.cwd)) continue;
      out.push(summarise(entry));
    }
    return out.sort((a, b) => a.firstActivity - b.firstActivity || a.sessionId.localeCompare(b.sessionId));
  }

  summary(agent: AgentId, sessionId: string): SessionSummary | undefined {
    const entry = this.sessions.get(agent)?.get(sessionId);
    return entry && entry.records.size > 0 ? summarise(entry) : undefined;
  }

  /** Makes the largest rival the counted one (ties: the preferred file). */
  private crown(rivals: StoredRecord[], current: StoredRecord | undefined): void {
    let best = 0;
    for (let i = 1; i < rivals.length; i++) {
      const a = rivals[i];
      const b = rivals[best];
      if (a.totalTokens > b.totalTokens || (a.totalTokens === b.totalTokens && this.preferFile(a.fileId, b.fileId) < 0)) best = i;
    }
    if (best !== 0) {
      const [top] = rivals.splice(best, 1);
      rivals.unshift(top);
    }
    if (rivals[0] !== current) {
      if (current && current.key && this.isAttached(current)) this.detach(current);
      this.attach(rivals[0]);
    }
  }

  private isAttached(record: LedgerRecord): boolean {
    return this.sessions.get(record.agent)?.get(record.sessionId)?.records.has(record) ?? false;
  }

  private attach(record: LedgerRecord): void {
    const entry = this.session(record.agent, record.sessionId);
    entry.records.add(record);
    this.touch(entry);
  }

  private detach(record: LedgerRecord): void {
    const entry = this.sessions.get(record.agent)?.get(record.sessionId);
    if (entry?.records.delete(record)) this.touch(entry);
  }

  private touch(entry: SessionEntry): void {
    this.changed.add(entry);
    this.version++;
  }

  private *allSessions(): Iterable<SessionEntry> {
    for (const byId of this.sessions.values()) yield* byId.values();
  }

  private session(agent: AgentId, sessionId: string): SessionEntry {
    let byId = this.sessions.get(agent);
    if (!byId) this.sessions.set(agent, (byId = new Map()));
    let entry = byId.get(sessionId);
    if (!entry) byId.set(sessionId, (entry = { agent, sessionId, cwd: undefined, records: new Set() }));
    return entry;
  }
}

export function sessionKey(agent: AgentId, sessionId: string): string {
  return `${agent}:${sessionId}`;
}

function summarise(entry: SessionEntry): SessionSummary {
  const totals = emptyTotals();
  const byModel = new Map<string, ModelTotals>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of entry.records) {
    addRecord(totals, r);
    let m = byModel.get(r.model);
    if (!m) byModel.set(r.model, (m = { ...emptyTotals(), model: r.model, priced: true }));
    addRecord(m, r);
    // A known model can still be unpriced for a request (fast mode without fast rates).
    if (r.costUSD === null) m.priced = false;
    if (r.timestamp < first) first = r.timestamp;
    if (r.timestamp > last) last = r.timestamp;
  }
  const models = [...byModel.keys()].sort();
  return {
    ...totals,
    agent: entry.agent,
    sessionId: entry.sessionId,
    cwd: entry.cwd,
    firstActivity: first,
    lastActivity: last,
    models,
    unpricedModels: models.filter((m) => !byModel.get(m)!.priced),
    byModel: [...byModel.values()].sort((a, b) => (b.costUSD ?? 0) - (a.costUSD ?? 0) || b.totalTokens - a.totalTokens),
  };
}
