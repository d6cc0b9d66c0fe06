/**
 * A real VS Code for the integration and end-to-end tests: code-server 4.100.3 (VS Code 1.100.3,
 * installed by scripts/setup/editor.sh) on 127.0.0.1, driven by headless Chromium via playwright-core.
 * See ../shared/notes/real-editor-and-agents.md for why code-server and not @vscode/test-electron here.
 *
 * Everything started here is stopped by its `close()`, and every wait has a bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import type { Browser, Page } from 'playwright-core';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM_PATH = process.env.AGENT_METER_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep headless Chromium from reaching the network on its own. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** 60 s: code-server answers /healthz about 1-2 s after spawn here; ample for a loaded 2-core box. */
const START_TIMEOUT_MS = 60_000;
/** 60 s: the workbench shows its status bar after about 3-5 s here. */
const WORKBENCH_TIMEOUT_MS = 60_000;

/** Settings that keep a test editor quiet and let the extension activate in the opened folder. */
export const BASE_SETTINGS: Record<string, unknown> = {
  // Without this the folder opens in Restricted Mode and the extension does not activate.
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'update.mode': 'none',
};

/** Points the gallery at a closed loopback port; without it the workbench looks up open-vsx.org. */
const EXTENSIONS_GALLERY = JSON.stringify({
  serviceUrl: 'http://127.0.0.1:9/gallery',
  itemUrl: 'http://127.0.0.1:9/items',
});

export function codeServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.AGENT_METER_CACHE ?? path.join(os.homedir(), '.cache', 'agent-meter');
  return path.join(cache, `code-server-${CODE_SERVER_VERSION}`);
}

/** code-server's Node entry point, or an error that says how to install it. */
export function codeServerEntry(env: NodeJS.ProcessEnv = process.env): string {
  const entry = path.join(codeServerCacheDir(env), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!fs.existsSync(entry)) throw new Error(`code-server not installed (${entry} missing): run scripts/setup/editor.sh`);
  return entry;
}

export interface CodeServerOptions {
  /** Folder the server is started with (the workbench may still open another via `?folder=`). */
  workspace: string;
  extensionsDir?: string;
  userDataDir?: string;
  /** Merged over BASE_SETTINGS into `<userDataDir>/User/settings.json`. */
  settings?: Record<string, unknown>;
  /**
   * Extra environment for the server. The remote extension host is a child of the server and
   * inherits its environment, so this is how a test hands e.g. CLAUDE_CONFIG_DIR to the extension.
   */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** A fixed loopback port (the demo); a free one by default. */
  port?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  extensionsDir: string;
  userDataDir: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const entry = codeServerEntry();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-cs-'));
  const extensionsDir = opts.extensionsDir ?? path.join(scratch, 'extensions');
  const userDataDir = opts.userDataDir ?? path.join(scratch, 'data');
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeSettings(userDataDir, opts.settings);

  const port = opts.port ?? (await freePort());
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--extensions-dir', extensionsDir,
    '--user-data-dir', userDataDir,
    opts.workspace,
  ];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      // Keep code-server's own config.yaml and state out of the real home folder.
      XDG_CONFIG_HOME: path.join(scratch, 'config'),
      XDG_DATA_HOME: path.join(scratch, 'share'),
      EXTENSIONS_GALLERY,
      ...opts.env,
    },
    detached: true, // own process group: close() also stops the extension host and its children
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (d: Buffer) => { output = (output + d.toString()).slice(-200_000); };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  const url = `http://127.0.0.1:${port}`;
  // Stopped, then its scratch folder (default profile, code-server's own config) removed.
  const close = async () => {
    await stopGroup(child);
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, opts.timeoutMs ?? START_TIMEOUT_MS, () => output);
  } catch (err) {
    await close();
    throw err;
  }
  return { url, port, extensionsDir, userDataDir, output: () => output, close };
}

function writeSettings(userDataDir: string, extra: Record<string, unknown> | undefined): void {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let existing: Record<string, unknown> = {};
  try { existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch { /* none yet */ }
  fs.writeFileSync(file, JSON.stringify({ ...BASE_SETTINGS, ...existing, ...extra }, null, 2));
}

/** Installs a packaged extension (code-server does not accept a bare folder here). */
export async function installVsix(
  vsixPath: string, opts: { extensionsDir: string; userDataDir: string; timeoutMs?: number },
): Promise<string> {
  const entry = codeServerEntry();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-vsix-'));
  const child = spawn(process.execPath, [
    entry, '--extensions-dir', opts.extensionsDir, '--user-data-dir', opts.userDataDir,
    '--install-extension', path.resolve(vsixPath), '--force',
  ], {
    env: { ...process.env, XDG_CONFIG_HOME: path.join(scratch, 'config'), XDG_DATA_HOME: path.join(scratch, 'share'), EXTENSIONS_GALLERY },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await waitExit(child, opts.timeoutMs ?? 120_000);
  fs.rmSync(scratch, { recursive: true, force: true });
  if (code !== 0) throw new Error(`installing ${vsixPath} failed (exit ${code}):\n${out}`);
  return out;
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  /** Extra query parameters, e.g. the extension-test `payload`. */
  query?: Record<string, string>;
  timeoutMs?: number;
  /** Runs after the page exists and before navigation (e.g. page.exposeFunction). */
  beforeLoad?: (page: Page) => Promise<void>;
}

/** Opens the workbench for `folder` in headless Chromium and waits for its status bar. */
export async function openWorkbench(url: string, folder: string, opts: WorkbenchOptions = {}): Promise<Workbench> {
  const { chromium } = await import('playwright-core');
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} missing: run scripts/setup/editor.sh`);
  const timeout = opts.timeoutMs ?? WORKBENCH_TIMEOUT_MS;
  // launch() gives every browser a fresh temporary profile, removed on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout });
  const close = async () => { await browser.close().catch(() => undefined); };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await opts.beforeLoad?.(page);
    const params = new URLSearchParams({ folder, ...opts.query });
    await page.goto(`${url}/?${params.toString()}`, { timeout });
    await page.waitForSelector('.statusbar', { timeout });
    return { browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The text of every status bar entry, left to right. */
export function readStatusBar(page: Page): Promise<string[]> {
  return page.$$eval('.statusbar-item', (els) => els.map((e) => (e.textContent ?? '').trim()));
}

export interface StatusBarEntry {
  id: string;
  text: string;
  ariaLabel: string;
  /** Computed background of the entry (CSS colour), e.g. for warning/error backgrounds. */
  background: string;
  /** Computed text colour. */
  color: string;
}

/**
 * One status bar entry, by DOM id (VS Code uses `<extension id>.<item id>` for items created with
 * `createStatusBarItem(id, …)`) or by a substring of its aria-label; undefined if absent.
 */
export async function findStatusBarEntry(
  page: Page, match: { id?: string; ariaLabel?: string },
): Promise<StatusBarEntry | undefined> {
  return page.$$eval('.statusbar-item', (els, m) => {
    for (const el of els) {
      const label = el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '';
      if (m.id !== undefined && el.id !== m.id) continue;
      if (m.ariaLabel !== undefined && !label.includes(m.ariaLabel)) continue;
      // The background is set on the entry's container; fall back to its label when transparent.
      const transparent = (c: string) => c === 'rgba(0, 0, 0, 0)' || c === 'transparent';
      let bg = getComputedStyle(el).backgroundColor;
      const inner = el.firstElementChild as HTMLElement | null;
      if (transparent(bg) && inner) bg = getComputedStyle(inner).backgroundColor;
      return {
        id: el.id,
        text: (el.textContent ?? '').trim(),
        ariaLabel: label,
        background: bg,
        color: getComputedStyle(inner ?? el).color,
      };
    }
    return undefined;
  }, match);
}

/**
 * Polls until a status bar entry matches (and, if given, `until` accepts it); throws with the
 * last status bar seen after `timeoutMs`. An extension activated on onStartupFinished shows its
 * item about 4 s after the status bar appears here.
 */
export async function waitForStatusBarEntry(
  page: Page, match: { id?: string; ariaLabel?: string },
  opts: { timeoutMs?: number; until?: (e: StatusBarEntry) => boolean } = {},
): Promise<StatusBarEntry> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: StatusBarEntry | undefined;
  while (Date.now() < deadline) {
    last = await findStatusBarEntry(page, match);
    if (last && (!opts.until || opts.until(last))) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  const bar = await readStatusBar(page).catch(() => []);
  throw new Error(`status bar entry ${JSON.stringify(match)} not as expected; last: ${JSON.stringify(last)}; bar: ${JSON.stringify(bar)}`);
}

export interface ExtensionTestOptions {
  /** Folder with the extension's package.json (loaded as a development extension). */
  extensionDevelopmentPath: string;
  /** The compiled runner module exporting `run()`, e.g. out/test/suite/index.js. */
  extensionTestsPath: string;
  /** Folder the workbench opens. */
  workspace: string;
  /** Environment for code-server and so for the extension host (and the tests running in it). */
  env?: NodeJS.ProcessEnv;
  settings?: Record<string, unknown>;
  extensionsDir?: string;
  userDataDir?: string;
  /** Whole run, from starting the server to the exit code. */
  timeoutMs?: number;
  /** Called with each log line as it arrives. */
  onLog?: (line: string) => void;
}

export interface ExtensionTestResult {
  /** The exit code `run()` produced (0 = passed); null when the run timed out. */
  exitCode: number | null;
  log: string[];
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs an extension's test module inside code-server's real extension host with VS Code's
 * extension-test protocol: the workbench URL carries a `payload` with the development path and
 * tests path (as vscode-remote:// URIs), and reports back through `codeAutomationLog` and
 * `codeAutomationExit`, which the page calls on `window`.
 */
export async function runExtensionTests(o: ExtensionTestOptions): Promise<ExtensionTestResult> {
  const started = Date.now();
  const timeoutMs = o.timeoutMs ?? 180_000;
  const log: string[] = [];
  const push = (line: string) => { log.push(line); o.onLog?.(line); };
  let server: CodeServer | undefined;
  let bench: Workbench | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    server = await startCodeServer({
      workspace: o.workspace, env: o.env, settings: o.settings,
      extensionsDir: o.extensionsDir, userDataDir: o.userDataDir,
    });
    const authority = `127.0.0.1:${server.port}`;
    const remote = (p: string) => `vscode-remote://${authority}${path.resolve(p)}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)],
      ['extensionTestsPath', remote(o.extensionTestsPath)],
    ]);
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => { resolveExit = resolve; });
    const timedOut = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(1000, timeoutMs - (Date.now() - started)));
    });
    bench = await openWorkbench(server.url, path.resolve(o.workspace), {
      query: { payload },
      timeoutMs: Math.min(WORKBENCH_TIMEOUT_MS, timeoutMs),
      beforeLoad: async (page) => {
        await page.exposeFunction('codeAutomationLog', (level: unknown, message: unknown) => {
          // The workbench forwards each console call as its argument list (format string first).
          const text = Array.isArray(message) ? util.format(...(message as unknown[])) : String(message);
          // The gallery points at a closed port on purpose; its refusal is expected noise.
          if (text.includes('ECONNREFUSED 127.0.0.1:9')) return;
          push(level === 'info' ? text : `${String(level)}: ${text}`);
        });
        await page.exposeFunction('codeAutomationExit', (code: unknown) => { resolveExit(Number(code)); });
      },
    });
    const exitCode = await Promise.race([exited, timedOut]);
    return { exitCode, log, timedOut: exitCode === null, durationMs: Date.now() - started };
  } catch (err) {
    push(`harness error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (server) push(`code-server output:\n${server.output()}`);
    return { exitCode: null, log, timedOut: false, durationMs: Date.now() - started };
  } finally {
    if (timer) clearTimeout(timer);
    await bench?.close();
    await server?.close();
  }
}

/** A free loopback port (the OS picks; the short gap before code-server binds it is acceptable). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = http.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    }
    if (await ping(`${url}/healthz`)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms:\n${output()}`);
}

function ping(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(child.exitCode); return; }
    const timer = setTimeout(() => { killGroup(child, 'SIGKILL'); resolve(null); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try { if (child.pid) process.kill(-child.pid, signal); } catch { /* already gone */ }
}

/** SIGTERM the process group, then SIGKILL after 5 s; resolves once the server has exited. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  killGroup(child, 'SIGKILL'); // the extension host and any processes it started
}
