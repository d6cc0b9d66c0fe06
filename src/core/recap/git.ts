/**
 * What a task delivered, as git sees it: commits since the task started (numstat) plus, while the
 * task is open, the uncommitted changes. Git runs through an injected runner (execFile in
 * production, canned outputs in tests); no repository or no git is a state the recap shows.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { FileChange, GitCommit, GitOutcome } from './recapTypes';

/** Runs `git args` in `cwd`; resolves stdout, rejects with an error carrying `code` and `stderr`. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<string>;

/** 15 s: `git log --numstat` over a month of a busy repository takes well under a second. */
const GIT_TIMEOUT_MS = 15_000;
/** 64 MiB of numstat: about half a million changed files, far beyond any task. */
const GIT_MAX_BUFFER = 64 * 1024 * 1024;
/** Git's well-known empty tree: diffing against it lists every file of a repository with no commit. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const RS = '\x1e';
const US = '\x1f';

/** The production runner: `git` from PATH via execFile (no shell), bounded in time and output. */
export const execGit: GitRunner = (args, cwd) =>
  new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: GIT_MAX_BUFFER, windowsHide: true, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr ?? '') }));
      else resolve(stdout);
    });
  });

/** Why there is no git outcome. */
export type GitProblem = Exclude<GitOutcome, { state: 'ok' }>;

export interface GitQuery {
  /** Workspace folders of the task (each may or may not be inside a repository). */
  folders: readonly string[];
  /** Epoch ms of the task's start. */
  since: number;
  /** Epoch ms of its end; commits after it are not the task's. */
  until?: number;
  /** Count the working tree's uncommitted changes (an open task's work in progress). */
  uncommitted: boolean;
}

/** The git outcome of the task's folders (several folders in one repository count once). */
export async function gitOutcome(query: GitQuery, run: GitRunner = execGit): Promise<GitOutcome> {
  const tops = new Set<string>();
  let firstProblem: GitProblem | undefined;
  for (const folder of query.folders) {
    try {
      tops.add((await run(['rev-parse', '--show-toplevel'], folder)).trim());
    } catch (error) {
      firstProblem ??= problem(error, folder);
      if (firstProblem.state === 'noGit') return firstProblem;
    }
  }
  if (tops.size === 0) return firstProblem ?? { state: 'notRepo', message: 'No workspace folder to look in.' };
  const commits: GitCommit[] = [];
  const uncommitted: FileChange[] = [];
  try {
    for (const top of tops) {
      const args = ['log', `--since=${new Date(query.since).toISOString()}`, '--no-merges', '--numstat', `--format=${RS}%H${US}%ct${US}%s`];
      if (query.until !== undefined) args.splice(2, 0, `--until=${new Date(query.until).toISOString()}`);
      let log = '';
      try {
        log = await run(args, top);
      } catch (error) {
        // A repository without a commit has no HEAD to walk: nothing committed yet.
        if (!/does not have any commits|bad default revision|unknown revision/i.test(stderrOf(error))) throw error;
      }
      commits.push(...parseGitLog(log).filter((c) => c.at >= Math.floor(query.since / 1000) && (query.until === undefined || c.at <= Math.ceil(query.until / 1000))));
      if (query.uncommitted) {
        let diff: string;
        try {
          diff = await run(['diff', '--numstat', 'HEAD'], top);
        } catch {
          diff = await run(['diff', '--numstat', EMPTY_TREE], top);
        }
        uncommitted.push(...parseNumstat(diff));
        const untracked = await run(['ls-files', '--others', '--exclude-standard'], top);
        for (const file of untracked.split('\n').map((l) => l.trim()).filter(Boolean)) uncommitted.push({ path: file, added: null, deleted: null, binary: false });
      }
    }
  } catch (error) {
    const p = problem(error, [...tops][0]);
    return p.state === 'notRepo' ? p : { state: 'error', message: p.message };
  }
  return summarise(commits, uncommitted);
}

/** Totals of commits and uncommitted changes: lines, distinct files, binary files. */
export function summarise(commits: GitCommit[], uncommitted: FileChange[]): GitOutcome {
  const files = new Set<string>();
  const binary = new Set<string>();
  let linesAdded = 0;
  let linesDeleted = 0;
  for (const change of [...commits.flatMap((c) => c.files), ...uncommitted]) {
    files.add(change.path);
    if (change.binary) binary.add(change.path);
    linesAdded += change.added ?? 0;
    linesDeleted += change.deleted ?? 0;
  }
  return { state: 'ok', commits, uncommitted, files: [...files].sort(), linesAdded, linesDeleted, binaryFiles: binary.size };
}

/**
 * Parses `git log --numstat --format=%x1e%H%x1f%ct%x1f%s`: one record per commit, the header line
 * then its numstat lines.
 */
export function parseGitLog(text: string): GitCommit[] {
  const out: GitCommit[] = [];
  for (const chunk of text.split(RS)) {
    if (!chunk.trim()) continue;
    const newline = chunk.indexOf('\n');
    const header = newline < 0 ? chunk : chunk.slice(0, newline);
    const [hash, seconds, ...subject] = header.split(US);
    const at = Number(seconds);
    if (!hash || !Number.isFinite(at)) continue;
    out.push({ hash: hash.trim(), at, subject: subject.join(US), files: parseNumstat(newline < 0 ? '' : chunk.slice(newline + 1)) });
  }
  return out;
}

/**
 * Parses numstat lines `added\tdeleted\tpath`. A binary file reads `-\t-\tpath` (null counts); a
 * rename reads `old => new` or `dir/{old => new}/file` and counts under the new path.
 */
export function parseNumstat(text: string): FileChange[] {
  const out: FileChange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const binary = m[1] === '-' || m[2] === '-';
    out.push({ path: renamedTo(m[3]), added: binary ? null : Number(m[1]), deleted: binary ? null : Number(m[2]), binary });
  }
  return out;
}

/** The destination of a numstat rename: `a/{b => c}/d` → `a/c/d`, `x => y` → `y`. */
export function renamedTo(spec: string): string {
  const brace = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(spec);
  if (brace) return (brace[1] + brace[3] + brace[4]).replace(/\/\//g, '/');
  const plain = / => /.exec(spec);
  return plain ? spec.slice(plain.index + 4) : spec;
}

function stderrOf(error: unknown): string {
  const e = error as { stderr?: unknown; message?: unknown };
  return `${typeof e?.stderr === 'string' ? e.stderr : ''}\n${typeof e?.message === 'string' ? e.message : ''}`;
}

function problem(error: unknown, folder: string): GitProblem {
  const code = (error as { code?: unknown })?.code;
  // A missing working folder fails the spawn with ENOENT too: tell the two apart.
  if (code === 'ENOENT' && !existsSync(folder)) return { state: 'notRepo', message: `${folder} does not exist.` };
  if (code === 'ENOENT') return { state: 'noGit', message: 'git was not found on PATH, so commits and changed lines are not shown.' };
  const text = stderrOf(error);
  if (/not a git repository/i.test(text)) return { state: 'notRepo', message: `${folder} is not a git repository.` };
  return { state: 'error', message: `git failed in ${folder}: ${text.trim().split('\n')[0] || String(error)}` };
}
