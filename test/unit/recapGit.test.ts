import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execGit, gitOutcome, parseGitLog, parseNumstat, renamedTo, type GitRunner } from '../../src/core/recap/git';

const RS = '\x1e';
const US = '\x1f';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const sec = (ms: number) => Math.floor(ms / 1000);

/** A fake git answering by the first argument; records every call. */
function fakeGit(answers: Record<string, string | Error>): GitRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (async (args: readonly string[], cwd: string) => {
    calls.push([cwd, ...args]);
    const key = args[0] === 'diff' ? `diff ${args[2]}` : args[0];
    const a = answers[key];
    if (a === undefined) throw Object.assign(new Error(`unexpected git ${args.join(' ')}`), { stderr: 'unexpected' });
    if (a instanceof Error) throw a;
    return a;
  }) as GitRunner & { calls: string[][] };
  run.calls = calls;
  return run;
}

function gitError(stderr: string, code: number | string = 128): Error {
  return Object.assign(new Error(`Command failed: git\n${stderr}`), { code, stderr });
}

const LOG = [
  `${RS}abc123${US}${sec(T0 + 600_000)}${US}Add export | with a pipe`,
  '',
  '10\t2\tsrc/export.ts',
  '-\t-\tmedia/logo.png',
  '3\t1\tsrc/{old => new}/name.ts',
  '',
  `${RS}def456${US}${sec(T0 + 1_200_000)}${US}Rename`,
  '',
  '0\t0\tdocs/a.md => docs/b.md',
  '4\t4\tsrc/export.ts',
  '',
].join('\n');

describe('recap git: parsing', () => {
  it('reads commits with their numstat, binary files as null counts, renames under the new path', () => {
    const commits = parseGitLog(LOG);
    assert.equal(commits.length, 2);
    assert.deepEqual(commits[0], {
      hash: 'abc123',
      at: sec(T0 + 600_000),
      subject: 'Add export | with a pipe',
      files: [
        { path: 'src/export.ts', added: 10, deleted: 2, binary: false },
        { path: 'media/logo.png', added: null, deleted: null, binary: true },
        { path: 'src/new/name.ts', added: 3, deleted: 1, binary: false },
      ],
    });
    assert.deepEqual(commits[1].files.map((f) => f.path), ['docs/b.md', 'src/export.ts']);
  });

  it('resolves every rename spelling git prints', () => {
    assert.equal(renamedTo('a/{b => c}/d.ts'), 'a/c/d.ts');
    assert.equal(renamedTo('{a => b}/x.ts'), 'b/x.ts');
    assert.equal(renamedTo('src/{ => sub}/x.ts'), 'src/sub/x.ts');
    assert.equal(renamedTo('src/{sub => }/x.ts'), 'src/x.ts');
    assert.equal(renamedTo('old.ts => new.ts'), 'new.ts');
    assert.equal(renamedTo('plain.ts'), 'plain.ts');
  });

  it('ignores lines that are not numstat (blank, CRLF, garbage)', () => {
    assert.deepEqual(parseNumstat('1\t2\ta.ts\r\n\nnot numstat\n-\t-\tb.bin\n'), [
      { path: 'a.ts', added: 1, deleted: 2, binary: false },
      { path: 'b.bin', added: null, deleted: null, binary: true },
    ]);
    assert.deepEqual(parseGitLog(''), []);
  });
});

describe('recap git: outcome', () => {
  it('adds commits since the start and the uncommitted changes of an open task', async () => {
    const git = fakeGit({
      'rev-parse': '/repo\n',
      log: LOG,
      'diff HEAD': '5\t0\tsrc/wip.ts\n-\t-\tmedia/new.png\n',
      'ls-files': 'notes.txt\n',
    });
    const out = await gitOutcome({ folders: ['/repo/app', '/repo/lib'], since: T0, uncommitted: true }, git);
    assert.equal(out.state, 'ok');
    if (out.state !== 'ok') return;
    assert.equal(out.commits.length, 2);
    // 10+3+0+4 committed, 5 uncommitted; deleted 2+1+0+4.
    assert.equal(out.linesAdded, 22);
    assert.equal(out.linesDeleted, 7);
    assert.deepEqual(out.files, ['docs/b.md', 'media/logo.png', 'media/new.png', 'notes.txt', 'src/export.ts', 'src/new/name.ts', 'src/wip.ts']);
    assert.equal(out.binaryFiles, 2);
    const log = git.calls.find((c) => c[1] === 'log')!;
    assert.equal(log[0], '/repo', 'runs in the repository top, once for two folders of one repository');
    assert.ok(log.includes(`--since=${new Date(T0).toISOString()}`));
    assert.equal(git.calls.filter((c) => c[1] === 'log').length, 1);
  });

  it('bounds a finished task by its end and leaves the working tree out', async () => {
    const git = fakeGit({ 'rev-parse': '/repo\n', log: LOG });
    const out = await gitOutcome({ folders: ['/repo'], since: T0, until: T0 + 900_000, uncommitted: false }, git);
    assert.equal(out.state, 'ok');
    if (out.state !== 'ok') return;
    assert.deepEqual(out.commits.map((c) => c.hash), ['abc123'], 'a commit after the end is not the task\'s');
    assert.ok(git.calls.some((c) => c.includes(`--until=${new Date(T0 + 900_000).toISOString()}`)));
    assert.ok(!git.calls.some((c) => c[1] === 'diff'));
  });

  it('reports a folder outside any repository as "not a git repository", not a crash', async () => {
    const git = fakeGit({ 'rev-parse': gitError('fatal: not a git repository (or any of the parent directories): .git') });
    const out = await gitOutcome({ folders: ['/tmp'], since: T0, uncommitted: true }, git);
    assert.equal(out.state, 'notRepo');
    assert.match(out.state === 'notRepo' ? out.message : '', /not a git repository/);
  });

  it('reports a machine without git', async () => {
    const git = fakeGit({ 'rev-parse': Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' }) });
    const out = await gitOutcome({ folders: [os.tmpdir()], since: T0, uncommitted: true }, git);
    assert.equal(out.state, 'noGit');
  });

  it('handles a repository without a commit yet (no HEAD)', async () => {
    const git = fakeGit({
      'rev-parse': '/repo\n',
      log: gitError("fatal: your current branch 'main' does not have any commits yet"),
      'diff HEAD': gitError("fatal: ambiguous argument 'HEAD': unknown revision"),
      'diff 4b825dc642cb6eb9a060e54bf8d69288fbee4904': '7\t0\ta.ts\n',
      'ls-files': '',
    });
    const out = await gitOutcome({ folders: ['/repo'], since: T0, uncommitted: true }, git);
    assert.equal(out.state, 'ok');
    if (out.state === 'ok') assert.deepEqual([out.commits.length, out.linesAdded, out.files], [0, 7, ['a.ts']]);
  });

  it('turns other git failures into an error state with the first stderr line', async () => {
    const git = fakeGit({ 'rev-parse': '/repo\n', log: gitError('fatal: bad object deadbeef\nmore') });
    const out = await gitOutcome({ folders: ['/repo'], since: T0, uncommitted: false }, git);
    assert.deepEqual(out, { state: 'error', message: 'git failed in /repo: fatal: bad object deadbeef' });
  });

  it('reads a real repository with the real git (commit after the start, uncommitted edit, binary file)', async function () {
    try {
      execFileSync('git', ['--version']);
    } catch {
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-git-'));
    try {
      const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
      g('init', '-q');
      fs.writeFileSync(path.join(dir, 'a.txt'), 'one\ntwo\n');
      g('add', '.');
      g('commit', '-q', '-m', 'before', '--date=2020-01-01T00:00:00Z');
      execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--amend', '--no-edit'], { cwd: dir, env: { ...process.env, GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z' } });
      const since = Date.now() - 60_000;
      fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n2\nthree\n');
      fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.from([0, 1, 2, 0, 255]));
      g('add', '.');
      g('commit', '-q', '-m', 'during');
      fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n2\nthree\nfour\n');
      const out = await gitOutcome({ folders: [dir], since, uncommitted: true }, execGit);
      assert.equal(out.state, 'ok', JSON.stringify(out));
      if (out.state !== 'ok') return;
      assert.deepEqual(out.commits.map((c) => c.subject), ['during'], 'the commit before the start is not counted');
      // during: a.txt +2 -1, b.bin binary; uncommitted: a.txt +1.
      assert.deepEqual([out.linesAdded, out.linesDeleted, out.binaryFiles, out.files], [3, 1, 1, ['a.txt', 'b.bin']]);
      const outside = await gitOutcome({ folders: [os.tmpdir()], since, uncommitted: true }, execGit);
      assert.ok(outside.state === 'notRepo' || outside.state === 'ok', outside.state);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
