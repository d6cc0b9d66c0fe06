import * as fs from 'node:fs';
// The module object itself, whose functions the scanner calls: failNextRead replaces one.
import nodeFs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../../src/core/engine';
import { createPricer } from '../../../src/core/pricing/pricer';
import type { ActivityEvent, AgentId } from '../../../src/core/sources/types';

/** A scratch home with Claude and Codex roots, removed after the test. */
export class Scratch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-unit-'));
  readonly claude = path.join(this.dir, 'claude');
  readonly codex = path.join(this.dir, 'codex');
  readonly state = path.join(this.dir, 'state');

  write(relative: string, content: string | Buffer): string {
    const file = path.join(this.dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  append(relative: string, content: string): void {
    fs.appendFileSync(path.join(this.dir, relative), content);
  }

  /** An engine over the scratch folders; it saves its index after every start unless `saveMinBytes` says otherwise. */
  engine(options: { state?: boolean; activity?: ActivityEvent[]; maxLineBytes?: number; log?: string[]; saveMinBytes?: number } = {}): Engine {
    return new Engine({
      env: { home: path.join(this.dir, 'home'), vars: { CLAUDE_CONFIG_DIR: this.claude, CODEX_HOME: this.codex } },
      pricer: createPricer(),
      stateDir: options.state ? this.state : undefined,
      wantActivity: options.activity ? () => true : undefined,
      onActivity: options.activity ? (e) => options.activity!.push(e) : undefined,
      maxLineBytes: options.maxLineBytes,
      saveMinBytes: options.saveMinBytes ?? 0,
      log: options.log ? (m) => options.log!.push(m) : undefined,
    });
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An engine for one agent that parses without activity but would collect any it were given. */
export function quietEngine(scratch: Scratch, agent: AgentId, events: ActivityEvent[]): Engine {
  return new Engine({
    env: { home: path.join(scratch.dir, 'home'), vars: { CLAUDE_CONFIG_DIR: scratch.claude, CODEX_HOME: scratch.codex } },
    pricer: createPricer(),
    agents: [agent],
    wantActivity: () => false,
    onActivity: (e) => events.push(e),
  });
}

/** Moves a scratch file's modification time so the scanner reads it again, unchanged. */
export function touch(scratch: Scratch, relative: string, at: number): void {
  fs.utimesSync(path.join(scratch.dir, relative), at / 1000, at / 1000);
}

/** An activity event in a line: its kind, and for tool calls and errors the tool and call. */
export const activityLabel = (e: ActivityEvent): string => (e.kind === 'toolCall' || e.kind === 'toolError' ? `${e.kind}:${e.name}:${e.callId}` : e.kind);

export interface ClaudeUsage {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  cacheRead?: number;
  speed?: string;
}

/** One Claude Code assistant line, shaped like Claude Code 2.x writes it. */
export function claudeAssistant(o: {
  session: string;
  id: string;
  requestId: string;
  model?: string;
  ts: string;
  usage: ClaudeUsage;
  content?: unknown[];
  sidechain?: boolean;
  cwd?: string;
}): string {
  const u = o.usage;
  const cacheWrite = u.cacheWrite ?? 0;
  return `${JSON.stringify({
    parentUuid: null,
    isSidechain: o.sidechain ?? false,
    userType: 'external',
    cwd: o.cwd ?? '/work/project',
    sessionId: o.session,
    version: '2.1.330',
    gitBranch: 'main',
    message: {
      id: o.id,
      type: 'message',
      role: 'assistant',
      model: o.model ?? 'claude-sonnet-4-5-20250929',
      content: o.content ?? [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: u.input ?? 0,
        cache_creation_input_tokens: cacheWrite,
        cache_read_input_tokens: u.cacheRead ?? 0,
        cache_creation: { ephemeral_5m_input_tokens: cacheWrite - (u.cacheWrite1h ?? 0), ephemeral_1h_input_tokens: u.cacheWrite1h ?? 0 },
        output_tokens: u.output ?? 0,
        service_tier: 'standard',
        ...(u.speed ? { speed: u.speed } : {}),
      },
    },
    requestId: o.requestId,
    type: 'assistant',
    uuid: `${o.id}-${Math.random()}`,
    timestamp: o.ts,
  })}\n`;
}

export function claudeUser(o: { session: string; ts: string; content: unknown; cwd?: string }): string {
  return `${JSON.stringify({ parentUuid: null, isSidechain: false, userType: 'external', cwd: o.cwd ?? '/work/project', sessionId: o.session, version: '2.1.330', type: 'user', message: { role: 'user', content: o.content }, uuid: `u-${Math.random()}`, timestamp: o.ts })}\n`;
}

export interface CodexCounters {
  input: number;
  cached: number;
  output: number;
  reasoning?: number;
}

function usage(c: CodexCounters) {
  return { input_tokens: c.input, cached_input_tokens: c.cached, output_tokens: c.output, reasoning_output_tokens: c.reasoning ?? 0, total_tokens: c.input + c.output };
}

export function codexMeta(o: { id: string; ts: string; cwd?: string }): string {
  return `${JSON.stringify({ timestamp: o.ts, type: 'session_meta', payload: { id: o.id, timestamp: o.ts, cwd: o.cwd ?? '/work/project', originator: 'codex_exec', cli_version: '0.169.0' } })}\n`;
}

export function codexTurn(o: { ts: string; model: string }): string {
  return `${JSON.stringify({ timestamp: o.ts, type: 'turn_context', payload: { cwd: '/work/project', model: o.model } })}\n`;
}

export function codexTokens(o: { ts: string; total?: CodexCounters; last?: CodexCounters; info?: null }): string {
  const info = o.info === null ? null : { ...(o.total ? { total_token_usage: usage(o.total) } : {}), ...(o.last ? { last_token_usage: usage(o.last) } : {}), model_context_window: 258400 };
  return `${JSON.stringify({ timestamp: o.ts, type: 'event_msg', payload: { type: 'token_count', info, rate_limits: null } })}\n`;
}

/**
 * Makes the next fs.readSync fail with EIO, as a failing disk would; the reads after it succeed.
 * Returns what undoes it, for a `finally` (in case that read never came).
 */
export function failNextRead(): () => void {
  const readSync = nodeFs.readSync;
  nodeFs.readSync = (() => {
    nodeFs.readSync = readSync;
    throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
  }) as typeof readSync;
  return () => {
    nodeFs.readSync = readSync;
  };
}
