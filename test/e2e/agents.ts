/**
 * Runs the real Claude Code and Codex CLIs (installed by scripts/setup/agents.sh) against a
 * loopback model server, in scratch folders, and returns the session logs they wrote.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AgentPaths {
  claude: string;
  codex: string;
}

export interface AgentRun {
  code: number | null;
  /** Set when the hard timeout killed the process group. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Session logs written during the run (absolute paths, sorted). */
  logFiles: string[];
  durationMs: number;
}

/** Where scripts/setup/<name>.sh installs its CLIs (the same default as the scripts). */
export function cliCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.AGENT_METER_CACHE ?? path.join(os.homedir(), '.cache', 'agent-meter'), name);
}

/** The CLI scripts/setup/<name>.sh installs, or an error that says to run that script. */
export function findCachedCli(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const bin = path.join(cliCacheDir(name, env), 'node_modules', '.bin', name);
  if (!fs.existsSync(bin)) throw new Error(`${name} CLI not installed (${bin} missing): run scripts/setup/${name}.sh`);
  return bin;
}

/** Paths of the installed CLIs, or an error that says how to install them. */
export function findAgents(env: NodeJS.ProcessEnv = process.env): AgentPaths {
  const bin = path.join(cliCacheDir('agents', env), 'node_modules', '.bin');
  const paths = { claude: path.join(bin, 'claude'), codex: path.join(bin, 'codex') };
  const missing = Object.values(paths).filter((p) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`agent CLIs not installed (${missing.join(', ')} missing): run scripts/setup/agents.sh`);
  }
  return paths;
}

/** 60 s: a scripted task finishes in about a second; the bound only stops a hung CLI. */
const DEFAULT_TIMEOUT_MS = 60_000;

export interface ClaudeOptions {
  cwd: string;
  /** Scratch home; CLAUDE_CONFIG_DIR is `<home>/.claude`, so logs land in `<home>/.claude/projects`. */
  home: string;
  serverUrl: string;
  prompt: string;
  model?: string;
  timeoutMs?: number;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function runClaude(o: ClaudeOptions): Promise<AgentRun> {
  const { claude } = findAgents();
  const configDir = path.join(o.home, '.claude');
  fs.mkdirSync(configDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(o.home),
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: o.serverUrl,
    ANTHROPIC_API_KEY: 'dummy',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...o.env,
  };
  const args = [
    '-p', o.prompt,
    '--allowedTools', 'Bash',
    '--model', o.model ?? 'claude-sonnet-4-5-20250929',
    ...(o.extraArgs ?? []),
  ];
  const before = Date.now();
  const run = await spawnBounded(claude, args, o.cwd, env, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return { ...run, logFiles: listJsonl(path.join(configDir, 'projects'), before, () => true) };
}

export interface CodexOptions {
  cwd: string;
  codexHome: string;
  serverUrl: string;
  prompt: string;
  model?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function runCodex(o: CodexOptions): Promise<AgentRun> {
  const { codex } = findAgents();
  fs.mkdirSync(o.codexHome, { recursive: true });
  fs.writeFileSync(path.join(o.codexHome, 'config.toml'), codexConfig(o.serverUrl, o.model ?? 'gpt-5'));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(path.dirname(o.codexHome)),
    CODEX_HOME: o.codexHome,
    OPENAI_API_KEY: 'dummy',
    ...o.env,
  };
  const args = ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', o.prompt];
  const before = Date.now();
  const run = await spawnBounded(codex, args, o.cwd, env, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return {
    ...run,
    logFiles: listJsonl(path.join(o.codexHome, 'sessions'), before, (f) => path.basename(f).startsWith('rollout-')),
  };
}

/** A provider pointing at the loopback server; no retries so a failure shows at once. */
export function codexConfig(serverUrl: string, model: string): string {
  return [
    `model = "${model}"`,
    `model_provider = "mock"`,
    `approval_policy = "never"`,
    `sandbox_mode = "danger-full-access"`,
    ``,
    `[model_providers.mock]`,
    `name = "mock"`,
    `base_url = "${serverUrl}/v1"`,
    `env_key = "OPENAI_API_KEY"`,
    `wire_api = "responses"`,
    `request_max_retries = 0`,
    `stream_max_retries = 0`,
    ``,
  ].join('\n');
}

/** Only what a CLI needs: no inherited API keys, proxies or config locations from the caller. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    USER: process.env.USER ?? 'agent-meter',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    TMPDIR: os.tmpdir(),
  };
}

/** Runs an agent CLI in its own process group, killed (with its tools) at the timeout. */
export function spawnBounded(
  cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number,
): Promise<Omit<AgentRun, 'logFiles'>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // detached: the CLI gets its own process group, so the timeout kills its tool subprocesses too.
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const killGroup = (signal: NodeJS.Signals) => {
      try { if (child.pid) process.kill(-child.pid, signal); } catch { /* already gone */ }
    };
    // This process ending (a test run stopped, `npm start` stopped mid-session) takes the CLI's group with it.
    const onExit = () => killGroup('SIGKILL');
    process.once('exit', onExit);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); process.removeListener('exit', onExit); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      killGroup('SIGKILL'); // leftovers of a finished CLI (e.g. a backgrounded tool) must not outlive it
      resolve({ code, timedOut, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** `*.jsonl` files under `dir` modified since `since` (1 s slack for coarse mtimes). */
function listJsonl(dir: string, since: number, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl') && keep(p) && fs.statSync(p).mtimeMs >= since - 1000) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The per-test scratch of an end-to-end suite (call it inside `describe`): before each test a new
 * temp folder in `root`; after it, the test's `server`, if it started one, is closed and the folder
 * removed (AGENT_METER_KEEP_TEMP=1 keeps it for a look).
 */
export function scratchPerTest<S extends { close(): Promise<void> }>(prefix: string): { root: string; server: S | undefined } {
  const scratch: { root: string; server: S | undefined } = { root: '', server: undefined };
  beforeEach(() => {
    scratch.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await scratch.server?.close();
    scratch.server = undefined;
    if (scratch.root && !process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(scratch.root, { recursive: true, force: true });
  });
  return scratch;
}
