#!/usr/bin/env node
/**
 * agent-meter: the headless face of the engine. Reads the same logs as the extension, offline.
 *   agent-meter sessions [--json] [--since YYYY-MM-DD] [--agent claude|codex|gemini|cline|roo|kilo|opencode|copilot] [--state-dir DIR]
 *                        [--no-cache] [--price-overrides FILE] [--verbose]
 *   agent-meter statusline [--json] [--session ID] [same options]   (Claude Code's statusLine JSON on stdin)
 */
import fs = require('node:fs');
import os = require('node:os');
import { Engine } from './core/engine';
import { addRecord, emptyTotals, sessionKey, type LedgerRecord, type SessionSummary } from './core/ledger/ledger';
import { createPricer, type PriceOverrides } from './core/pricing/pricer';
import { counted } from './core/report/format';
import { sessionsTable } from './core/report/sessionsTable';
import { skipReport, skipTotal } from './core/scan/scanner';
import { HOUR_MS, statuslineNumbers, statuslineText, taskStores, type StatuslineTask } from './core/report/statusline';
import { optionValue } from './core/util/args';
import { localMinute, startOfDay } from './core/util/day';
import type { AgentId } from './core/sources/types';
import type { RecordsOf } from './core/tasks/attribution';
import { monotonicMs } from './core/util/clock';
import { defaultStateDir } from './core/util/paths';

const USAGE = `Usage: agent-meter <command> [options]

Commands:
  sessions            Tokens and dollars per agent session (Claude Code, Codex, …)
  statusline          One line for a terminal status bar: the folder's open task (as defined in
                      the editor), this session, today, the last hour. Reads Claude Code's
                      statusLine JSON on stdin when there is one

Options:
  --json              Machine-readable output
  --since YYYY-MM-DD  Only usage on or after this date (local time)
  --agent NAME        claude, codex, gemini, cline, roo, kilo, opencode or copilot (default: all)
  --state-dir DIR     Where the incremental index lives (env AGENT_METER_STATE_DIR;
                      default: the OS cache folder)
  --no-cache          Ignore and do not write the index (a cold scan)
  --price-overrides F JSON file of negotiated rates: {"model": {"input": 2.4, "output": 12}}
  --session ID        statusline: the session to show (else the one on stdin, if any)
  --verbose           Report skipped lines and files, and timings, on stderr
  --version, --help

Reads CLAUDE_CONFIG_DIR (comma-separated allowed), CODEX_HOME and HOME like the agents do.`;

class UsageError extends Error {}

const AGENT_ALIASES: Readonly<Record<string, AgentId>> = {
  claude: 'claude-code',
  'claude-code': 'claude-code',
  codex: 'codex',
  gemini: 'gemini-cli',
  'gemini-cli': 'gemini-cli',
  cline: 'cline',
  roo: 'roo-code',
  'roo-code': 'roo-code',
  kilo: 'kilo-code',
  'kilo-code': 'kilo-code',
  opencode: 'opencode',
  copilot: 'copilot-chat',
  'copilot-chat': 'copilot-chat',
};

interface Args {
  command: string;
  json: boolean;
  since?: number;
  agents?: AgentId[];
  stateDir?: string;
  cache: boolean;
  priceOverrides?: string;
  session?: string;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: '', json: false, cache: true, verbose: false };
  const value = (i: number, flag: string): string => {
    const v = optionValue(argv, i);
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--json':
        args.json = true;
        break;
      case '--since': {
        const v = value(i++, a);
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
        const date = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
        if (!date || date.getMonth() !== Number(m![2]) - 1) throw new UsageError(`--since wants a date like 2026-01-31, not "${v}"`);
        args.since = date.getTime();
        break;
      }
      case '--agent': {
        const v = value(i++, a);
        const agent = AGENT_ALIASES[v];
        if (!agent) throw new UsageError(`--agent is claude, codex, gemini, cline, roo, kilo, opencode or copilot, not "${v}"`);
        args.agents = [agent];
        break;
      }
      case '--state-dir':
        args.stateDir = value(i++, a);
        break;
      case '--no-cache':
        args.cache = false;
        break;
      case '--price-overrides':
        args.priceOverrides = value(i++, a);
        break;
      case '--session':
        args.session = value(i++, a);
        break;
      case '--verbose':
        args.verbose = true;
        break;
      default:
        if (a.startsWith('-') || args.command) throw new UsageError(`unknown argument "${a}"`);
        args.command = a;
    }
  }
  return args;
}

function loadOverrides(file: string): PriceOverrides {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read --price-overrides ${file}: ${(error as Error).message}`);
  }
  // Loaded only when asked for: zod costs more than the whole warm start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { priceOverridesSchema } = require('./core/pricing/priceOverrides') as typeof import('./core/pricing/priceOverrides');
  const parsed = priceOverridesSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--price-overrides ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function startEngine(args: Args): { engine: Engine; pricer: ReturnType<typeof createPricer>; stats: ReturnType<Engine['start']> } {
  const pricer = createPricer(args.priceOverrides ? loadOverrides(args.priceOverrides) : undefined);
  const engine = new Engine({
    env: { home: os.homedir(), vars: process.env },
    pricer,
    stateDir: args.cache ? (args.stateDir ?? defaultStateDir()) : undefined,
    agents: args.agents,
    log: (m) => process.stderr.write(`agent-meter: ${m}\n`),
  });
  return { engine, pricer, stats: engine.start() };
}

function sessionsCommand(args: Args): void {
  const started = monotonicMs();
  const { engine, pricer, stats } = startEngine(args);
  const all = engine.ledger.summaries();
  const sessions = args.since === undefined ? all : sessionsSince(engine, all, args.since);
  if (args.verbose) reportStats(stats, monotonicMs() - started);
  if (args.json) {
    writeOut(`${JSON.stringify({ sessions: sessions.map(toJson) }, null, 2)}\n`);
  } else if (args.since !== undefined && sessions.length === 0 && all.length > 0) {
    writeOut(`No agent usage on or after ${localMinute(args.since).slice(0, 10)}: ${counted(all.length, 'earlier session')} (leave out --since to list them).\n`);
  } else if (all.length === 0 && stats.filesSeen > 0) {
    // Logs were found, but nothing in them counted: say so, rather than that there are none. The
    // lines passed over include earlier runs' (kept per file in the index), which only a scan
    // without the index lists again.
    const skipped = engine.scanner.skippedSoFar(stats);
    const which = skipped > skipTotal(stats) ? '--verbose --no-cache says which and why' : '--verbose says which and why';
    const files = counted(stats.filesSeen, 'agent log file');
    writeOut(`No agent usage in the ${files} found${skipped > 0 ? ` (${counted(skipped, 'line')} or files passed over: ${which})` : ''}.\n`);
  } else {
    writeOut(sessionsTable(sessions, pricer.tableInfo, undefined, terminalWidth()));
  }
}

/** What Claude Code writes to a statusLine command's stdin (the fields used here). */
interface StatusContext {
  sessionId?: string;
  model?: string;
  cwd?: string;
}

/** How long the statusline waits for stdin to end: Claude Code writes its JSON at once and closes. */
const STDIN_WAIT_MS = 500;

/**
 * Claude Code's statusLine JSON (`session_id`, `model.display_name`, …) when stdin is a pipe or a
 * file; nothing from a terminal, an empty stdin or anything that is not that JSON. A pipe that
 * stays open without an end (a parent that never closes it) is given up after STDIN_WAIT_MS.
 */
function statusContext(): Promise<StatusContext> {
  if (process.stdin.isTTY) return Promise.resolve({});
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      process.stdin.removeAllListeners().destroy();
      resolve(parseStatusContext(Buffer.concat(chunks).toString('utf8')));
    };
    const timer = setTimeout(done, STDIN_WAIT_MS);
    process.stdin.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if ((size += chunk.length) > 1024 * 1024) done();
    });
    process.stdin.once('end', done);
    process.stdin.once('error', done);
  });
}

function parseStatusContext(text: string): StatusContext {
  try {
    const input = JSON.parse(text) as { session_id?: unknown; cwd?: unknown; model?: { display_name?: unknown; id?: unknown }; workspace?: { current_dir?: unknown } };
    const model = input.model?.display_name ?? input.model?.id;
    const cwd = input.workspace?.current_dir ?? input.cwd;
    return { sessionId: typeof input.session_id === 'string' ? input.session_id : undefined, model: typeof model === 'string' ? model : undefined, cwd: typeof cwd === 'string' ? cwd : undefined };
  } catch {
    return {};
  }
}

/** The open task of the folder from the editor's task store, if the extension keeps one here. */
function openTask(folder: string, sessions: readonly SessionSummary[], recordsOf: RecordsOf, now: number): StatuslineTask | undefined {
  const stores = taskStores({ home: os.homedir(), vars: process.env }, fs.existsSync);
  if (stores.length === 0) return undefined;
  // Loaded only now: the task store's validation loads zod.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openTaskFor, statuslineTask } = require('./core/report/statuslineTask') as typeof import('./core/report/statuslineTask');
  const task = openTaskFor(folder, stores);
  return task && statuslineTask(task, sessions, recordsOf, now);
}

async function statuslineCommand(args: Args): Promise<void> {
  const started = monotonicMs();
  const context = await statusContext();
  const { engine, stats } = startEngine(args);
  const now = Date.now();
  const dayStart = startOfDay(now);
  const sessions = engine.ledger.summaries();
  const wanted = args.session ?? context.sessionId;
  const session = wanted === undefined ? undefined : sessions.find((s) => s.sessionId === wanted);
  // Each session's records once (the task's attribution asks for some of them again).
  const seen = new Map<string, readonly LedgerRecord[]>();
  const recordsOf: RecordsOf = (agent, id) => {
    const key = sessionKey(agent, id);
    let records = seen.get(key);
    if (!records) seen.set(key, (records = engine.ledger.sessionRecords(agent, id)));
    return records;
  };
  // Only sessions active today or in the last hour (just after midnight that is yesterday): their
  // records are needed (older ones stay packed, unread).
  const since = Math.min(dayStart, now - HOUR_MS);
  const records = sessions.filter((s) => s.lastActivity >= since).flatMap((s) => recordsOf(s.agent, s.sessionId));
  const numbers = statuslineNumbers({ now, dayStart, records, session, task: openTask(context.cwd ?? process.cwd(), sessions, recordsOf, now) });
  if (args.verbose) reportStats(stats, monotonicMs() - started);
  if (args.json) {
    const out = <T extends { costUSD: number | null }>(s: T) => ({ ...s, costUSD: nanoDollars(s.costUSD) });
    writeOut(`${JSON.stringify({ task: numbers.task ? out(numbers.task) : null, session: numbers.session ? out(numbers.session) : null, today: out(numbers.today), lastHour: out(numbers.lastHour) })}\n`);
  } else {
    writeOut(`${statuslineText(numbers, context.model)}\n`);
  }
}

/** Re-totals each session over its records on or after `since`, dropping sessions left empty. */
function sessionsSince(engine: Engine, sessions: SessionSummary[], since: number): SessionSummary[] {
  const out: SessionSummary[] = [];
  for (const s of sessions) {
    if (s.firstActivity >= since) {
      out.push(s);
      continue;
    }
    const records = engine.ledger.sessionRecords(s.agent, s.sessionId).filter((r) => r.timestamp >= since);
    if (records.length === 0) continue;
    const totals = emptyTotals();
    const models = new Set<string>();
    for (const r of records) {
      addRecord(totals, r);
      models.add(r.model);
    }
    const kept = [...models].sort();
    out.push({
      ...s,
      ...totals,
      firstActivity: records[0].timestamp,
      lastActivity: records[records.length - 1].timestamp,
      models: kept,
      unpricedModels: s.unpricedModels.filter((m) => models.has(m)),
      byModel: s.byModel.filter((m) => models.has(m.model)),
    });
  }
  return out;
}

/**
 * Dollars to the nano-dollar for JSON output: sums of the same costs in another order (a cold scan
 * adds requests, a warm start per-file totals) differ in the last bits of a double, and the output
 * should not.
 */
function nanoDollars(cost: number | null): number | null {
  return cost === null ? null : Math.round(cost * 1e9) / 1e9;
}

function toJson(s: SessionSummary) {
  return {
    agent: s.agent,
    sessionId: s.sessionId,
    cwd: s.cwd ?? null,
    firstActivity: new Date(s.firstActivity).toISOString(),
    lastActivity: new Date(s.lastActivity).toISOString(),
    models: s.models,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cacheCreationTokens: s.cacheCreationTokens,
    cacheReadTokens: s.cacheReadTokens,
    reasoningOutputTokens: s.reasoningOutputTokens,
    totalTokens: s.totalTokens,
    costUSD: nanoDollars(s.costUSD),
    unpricedModels: s.unpricedModels,
    estimated: s.estimated,
  };
}

function reportStats(stats: ReturnType<Engine['start']>, elapsedMs: number): void {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  err(`agent-meter: ${stats.indexLoaded ? 'index loaded' : 'cold scan'}; ${stats.filesSeen} files, ${stats.filesRead} read, ${(stats.bytesRead / 1048576).toFixed(1)} MiB, ${stats.records} records, ${elapsedMs.toFixed(0)} ms`);
  for (const line of skipReport(stats, 20, 'agent-meter: ')) err(line);
}

function main(argv: string[]): number | Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    writeOut(`${USAGE}\n`);
    return 0;
  }
  if (argv.includes('--version')) {
    writeOut(`agent-meter ${process.env.AGENT_METER_VERSION ?? '0.1.0'}\n`);
    return 0;
  }
  try {
    const args = parseArgs(argv);
    switch (args.command) {
      case 'sessions':
        sessionsCommand(args);
        return 0;
      case 'statusline':
        return statuslineCommand(args).then(() => 0);
      case '':
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${args.command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`agent-meter: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * The columns of the terminal stdout is, for a table that fits it; undefined for a pipe or a file,
 * which get the whole table. `COLUMNS` (set by a user or a pager) wins.
 */
function terminalWidth(): number | undefined {
  const set = Number(process.env.COLUMNS);
  if (Number.isInteger(set) && set > 0) return set;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!(require('node:tty') as typeof import('node:tty')).isatty(1)) return undefined;
  return process.stdout.columns || undefined;
}

/** Whether some output went through process.stdout (see writeOut) and may still be queued. */
let streamed = false;

/**
 * Writes output straight to stdout's descriptor: `process.stdout` would first load Node's stream
 * machinery (about 2 ms of a ~75 ms warm start here). A stdout that is a full non-blocking pipe
 * (EAGAIN) gets the rest through process.stdout, which queues it; a reader that went away (EPIPE,
 * `agent-meter … | head`) gets nothing more.
 */
function writeOut(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  try {
    while (at < bytes.length) at += fs.writeSync(1, bytes, at);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw error;
    streamed = true;
    process.stdout.write(bytes.subarray(at));
  }
}

void Promise.resolve(main(process.argv.slice(2))).then((code) => {
  // Exit as soon as the output is out: letting the loop wind down waits for V8's background work
  // on a heap we are about to drop (about 70 ms after a warm start here).
  if (streamed) process.stdout.write('', () => process.exit(code));
  else process.exit(code);
});
