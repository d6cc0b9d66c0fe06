import * as assert from 'node:assert/strict';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { watchTree } from '../../src/host/treeWatcher';

/** Resolves once `done()` holds, checking every 10 ms; rejects after 5 s (events are asynchronous). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !done(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('watching log folders one by one', () => {
  let root: string;
  let watched: string[];
  let open: number;
  const watch = fs.watch;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-watch-'));
    fs.mkdirSync(path.join(root, 'keep'));
    fs.mkdirSync(path.join(root, 'pruned', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'keep', 'a.jsonl'), '{}\n');
    fs.writeFileSync(path.join(root, 'pruned', 'deep', 'b.jsonl'), '{}\n');
    watched = [];
    open = 0;
    (fs as { watch: unknown }).watch = (folder: string, ...rest: unknown[]) => {
      watched.push(path.relative(root, folder));
      const watcher = (watch as (...args: unknown[]) => fs.FSWatcher)(folder, ...rest);
      open++;
      const close = watcher.close.bind(watcher);
      watcher.close = () => {
        open--;
        close();
      };
      return watcher;
    };
  });
  afterEach(() => {
    (fs as { watch: unknown }).watch = watch;
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('watches only the folders that can hold logs, and reports writes, new folders and their files', async () => {
    const seen = new Set<string>();
    const errors: Error[] = [];
    const tree = watchTree(root, { descend: (rel) => !rel.startsWith('pruned'), onFile: (f) => seen.add(path.relative(root, f)), onError: (e) => errors.push(e), recursive: false });
    try {
      assert.deepEqual(watched.sort(), ['', 'keep'], 'the pruned folders get no watch');
      assert.equal(seen.size, 0, 'files already there are the first scan’s, not reported');

      fs.appendFileSync(path.join(root, 'keep', 'a.jsonl'), '{}\n');
      await until(() => seen.has(path.join('keep', 'a.jsonl')), 'the append');

      // A new folder with a file written at once, before any watch could be set on it.
      fs.mkdirSync(path.join(root, 'keep', 'new', 'sub'), { recursive: true });
      fs.writeFileSync(path.join(root, 'keep', 'new', 'sub', 'c.jsonl'), '{}\n');
      await until(() => seen.has(path.join('keep', 'new', 'sub', 'c.jsonl')), 'the file in the new folder');
      assert.ok(watched.includes(path.join('keep', 'new', 'sub')), 'the new folders are watched');

      fs.rmSync(path.join(root, 'keep', 'new'), { recursive: true });
      await until(() => seen.has(path.join('keep', 'new')), 'the removal');
      await until(() => open === 2, 'the removed folders’ watches to close');
      assert.deepEqual(errors, []);
    } finally {
      tree.dispose();
    }
    assert.equal(open, 0, 'dispose closes every watch');
  });

  it("uses one recursive watch where it is the platform's own (the macOS and Windows path, run here on Node's)", async () => {
    const seen = new Set<string>();
    const tree = watchTree(root, { descend: () => false, onFile: (f) => seen.add(path.relative(root, f)), onError: (e) => assert.fail(e), recursive: true });
    try {
      // (On Linux Node emulates it with a watch per file and folder, here too: hence the other path.)
      assert.equal(watched[0], '', 'the root is watched');
      fs.appendFileSync(path.join(root, 'keep', 'a.jsonl'), '{}\n');
      await until(() => seen.has(path.join('keep', 'a.jsonl')), 'the append');
    } finally {
      tree.dispose();
    }
  });

  it('throws when the root cannot be watched, so the caller can fall back', () => {
    assert.throws(() => watchTree(path.join(root, 'missing'), { descend: () => true, onFile: () => undefined, onError: () => undefined, recursive: false }), /ENOENT/);
  });
});
