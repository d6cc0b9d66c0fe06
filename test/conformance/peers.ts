/*
 * Helpers shared by the conformance test and the benchmark: locating and
 * running ccusage and Agent Meter, and mapping their JSON onto the truth.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { SessionTokens, Truth, TruthSession } from '../gen/generator';

export const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens', 'totalTokens'] as const;
export type TokenField = (typeof TOKEN_FIELDS)[number];

export interface PeerSession extends SessionTokens {
  agent: 'claude-code' | 'codex';
  /** Normalized id: Claude session UUID / Codex thread UUID. */
  sessionId: string;
  /** The identifier as the peer printed it. */
  rawId: string;
  costUSD: number;
  models: string[];
  lastActivity?: string;
  firstActivity?: string;
}

/** Walk up from this file (src or out/ mirror) to the repo root (has package.json and esbuild.config.mjs). */
export function repoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let d = start;
    for (let i = 0; i < 8; i++) {
      if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'esbuild.config.mjs'))) return d;
      d = path.dirname(d);
    }
  }
  return process.cwd();
}

/** Where scripts/setup/peer.sh installs ccusage (apart from the project's node_modules). */
export function peerDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.AGENT_METER_CACHE ?? path.join(os.homedir(), '.cache', 'agent-meter'), 'peer');
}

/** The native ccusage binary (avoids the node launcher), or the npm bin shim. */
export function ccusageCommand(root = peerDir()): string[] {
  const plat = `${process.platform}-${process.arch}`;
  const native = path.join(root, 'node_modules', '@ccusage', `ccusage-${plat}`, 'bin', process.platform === 'win32' ? 'ccusage.exe' : 'ccusage');
  if (fs.existsSync(native)) return [native];
  const shim = path.join(root, 'node_modules', 'ccusage', 'src', 'cli.js');
  if (fs.existsSync(shim)) return [process.execPath, shim];
  throw new Error(`ccusage is not installed under ${root} (run scripts/setup/peer.sh)`);
}

export function agentMeterCli(root = repoRoot()): string | undefined {
  const p = path.join(root, 'dist', 'cli.js');
  return fs.existsSync(p) ? p : undefined;
}

const scratchDirs: string[] = [];

/** A new empty folder in the temp dir, removed when the process exits (AM_KEEP_CONFORMANCE_DATA keeps them). */
export function emptyDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (scratchDirs.push(dir) === 1 && !process.env.AM_KEEP_CONFORMANCE_DATA) {
    process.once('exit', () => scratchDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  }
  return dir;
}

function uuidTail(s: string): string {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(s);
  return m ? m[1].toLowerCase() : s;
}

/** Run ccusage for one agent over a generated data dir. */
export function runCcusage(agent: 'claude' | 'codex', dataDir: string, home = emptyDir('am-home-')): unknown {
  const [cmd, ...pre] = ccusageCommand();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  if (agent === 'claude') env.CLAUDE_CONFIG_DIR = path.join(dataDir, 'claude');
  else env.CODEX_HOME = path.join(dataDir, 'codex');
  const r = spawnSync(cmd, [...pre, agent, 'session', '--json', '--offline', '--timezone', 'UTC'], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ccusage ${agent} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface CcClaudeSession {
  sessionId: string;
  projectPath?: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
  modelsUsed: string[];
  firstActivity?: string;
  lastActivity?: string;
}
interface CcCodexSession extends SessionTokens {
  sessionId: string;
  sessionFile?: string;
  directory?: string;
  costUSD: number;
  models: Record<string, unknown>;
  lastActivity?: string;
}

/**
 * ccusage JSON → PeerSession[].
 *  claude: sessions[].sessionId is the transcript file name without .jsonl
 *    (subagent files are folded into their <session>/ folder); projectPath
 *    is the project folder slug. Cost: totalCost. Models: modelsUsed (a
 *    "-fast" suffix is appended for usage.speed "fast").
 *  codex: sessions[].sessionId is the rollout path relative to sessions/ (or
 *    archived_sessions/) without .jsonl, e.g. "2025/10/01/rollout-…-<uuid>";
 *    the thread id is the trailing UUID. Cost: costUSD. Models: keys of models.
 */
export function mapCcusage(claude: unknown, codex: unknown): PeerSession[] {
  const out: PeerSession[] = [];
  for (const s of ((claude as { sessions?: CcClaudeSession[] })?.sessions ?? [])) {
    out.push({
      agent: 'claude-code',
      sessionId: s.sessionId,
      rawId: `${s.projectPath ?? ''}/${s.sessionId}`,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      cacheCreationTokens: s.cacheCreationTokens,
      cacheReadTokens: s.cacheReadTokens,
      reasoningOutputTokens: 0,
      totalTokens: s.totalTokens,
      costUSD: s.totalCost,
      models: [...s.modelsUsed].sort(),
      firstActivity: s.firstActivity,
      lastActivity: s.lastActivity,
    });
  }
  for (const s of ((codex as { sessions?: CcCodexSession[] })?.sessions ?? [])) {
    out.push({
      agent: 'codex',
      sessionId: uuidTail(s.sessionId),
      rawId: s.sessionId,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      cacheCreationTokens: s.cacheCreationTokens,
      cacheReadTokens: s.cacheReadTokens,
      reasoningOutputTokens: s.reasoningOutputTokens,
      totalTokens: s.totalTokens,
      costUSD: s.costUSD,
      models: Object.keys(s.models ?? {}).sort(),
      lastActivity: s.lastActivity,
    });
  }
  return out;
}

export interface AgentMeterSession extends SessionTokens {
  agent: 'claude-code' | 'codex';
  sessionId: string;
  cwd: string;
  firstActivity: string;
  lastActivity: string;
  models: string[];
  costUSD: number;
  unpricedModels: string[];
}

export function agentMeterEnv(dataDir: string, stateDir: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    TZ: 'UTC',
    CLAUDE_CONFIG_DIR: path.join(dataDir, 'claude'),
    CODEX_HOME: path.join(dataDir, 'codex'),
    AGENT_METER_STATE_DIR: stateDir,
  };
}

export function runAgentMeter(cli: string, dataDir: string, stateDir = emptyDir('am-state-'), home = emptyDir('am-home-')): AgentMeterSession[] {
  const r = spawnSync(process.execPath, [cli, 'sessions', '--json'], { env: agentMeterEnv(dataDir, stateDir, home), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`agent-meter failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { sessions: AgentMeterSession[] }).sessions;
}

export interface Diff {
  key: string;
  field: string;
  expected: number | string;
  actual: number | string;
}

/**
 * Compare per-session tokens of `actual` with `expected`. Sessions are keyed
 * agent:sessionId; several actual rows with the same key are summed (so a
 * peer that double counts an archived copy shows up as a difference).
 */
export function compareTokens(expected: Array<Pick<TruthSession, 'agent' | 'sessionId' | TokenField>>, actual: Array<Pick<PeerSession, 'agent' | 'sessionId' | TokenField>>, fields: readonly TokenField[] = TOKEN_FIELDS): Diff[] {
  const sum = new Map<string, Record<string, number>>();
  for (const a of actual) {
    const k = `${a.agent}:${a.sessionId}`;
    const cur = sum.get(k) ?? {};
    for (const f of fields) cur[f] = (cur[f] ?? 0) + a[f];
    sum.set(k, cur);
  }
  const diffs: Diff[] = [];
  const seen = new Set<string>();
  for (const e of expected) {
    const k = `${e.agent}:${e.sessionId}`;
    seen.add(k);
    const a = sum.get(k);
    if (!a) {
      diffs.push({ key: k, field: '(session)', expected: 'present', actual: 'missing' });
      continue;
    }
    for (const f of fields) if (a[f] !== e[f]) diffs.push({ key: k, field: f, expected: e[f], actual: a[f] });
  }
  for (const k of sum.keys()) if (!seen.has(k)) diffs.push({ key: k, field: '(session)', expected: 'absent', actual: 'present' });
  return diffs;
}

export function truthTotals(t: Truth): Record<TokenField, number> {
  const r = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0 };
  for (const s of t.sessions) for (const f of TOKEN_FIELDS) r[f] += s[f];
  return r;
}
