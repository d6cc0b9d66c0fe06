import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DAY_MS as DAY } from '../../src/core/util/day';
import { markUsed, pruneStale, STALE_MS } from '../../src/core/util/stateFiles';
import { claudeAssistant, Scratch } from './helpers/fixtures';

describe('state folder caches', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  /** A file in the state folder, last modified `ago` ms before now. */
  const stateFile = (name: string, ago: number): string => {
    const file = scratch.write(path.join('state', name), 'x');
    const at = (Date.now() - ago) / 1000;
    fs.utimesSync(file, at, at);
    return file;
  };
  const ageOf = (file: string) => Date.now() - fs.statSync(file).mtimeMs;

  it('removes only caches of its kind unused for a month, and temporary files of them after a day', () => {
    const INDEX = /^index-[0-9a-f]{13}\.bin$/;
    const mine = 'index-000000000000a.bin';
    stateFile(mine, STALE_MS + DAY);
    stateFile('index-000000000000b.bin', STALE_MS + DAY);
    stateFile('index-000000000000c.bin', STALE_MS - DAY);
    stateFile('index-000000000000d.bin.4242.k3j2.tmp', 2 * DAY);
    stateFile('index-000000000000e.bin.4242.k3j2.tmp', DAY / 2);
    // The editor keeps the task store (and its temporary files) beside the index: never touched.
    stateFile('tasks.json', STALE_MS + DAY);
    stateFile('tasks.json.4242.k3j2.tmp', STALE_MS + DAY);
    stateFile('index-000000000000f.bin.bak', STALE_MS + DAY);
    fs.mkdirSync(path.join(scratch.state, 'index-0000000000010.bin'));

    const removed = pruneStale(scratch.state, INDEX, mine);
    assert.deepEqual(removed.sort(), ['index-000000000000b.bin', 'index-000000000000d.bin.4242.k3j2.tmp']);
    assert.deepEqual(fs.readdirSync(scratch.state).sort(), [
      'index-000000000000a.bin',
      'index-000000000000c.bin',
      'index-000000000000e.bin.4242.k3j2.tmp',
      'index-000000000000f.bin.bak',
      'index-0000000000010.bin',
      'tasks.json',
      'tasks.json.4242.k3j2.tmp',
    ]);
    assert.deepEqual(pruneStale(path.join(scratch.dir, 'missing'), INDEX, mine), [], 'a missing folder is nothing to do');
  });

  it('marks a used cache at most once a day', () => {
    const old = stateFile('cli-a.v8cache', 3 * DAY);
    markUsed(old);
    assert.ok(ageOf(old) < 60_000, 'a cache last marked days ago is marked now');
    const recent = stateFile('cli-b.v8cache', DAY / 2);
    markUsed(recent);
    assert.ok(ageOf(recent) > DAY / 4, 'one marked today is left as it is');
    markUsed(path.join(scratch.state, 'missing'));
  });

  it('the engine marks the index it loads, and after a save removes indexes of other configurations unused for a month', () => {
    const session = '11111111-2222-3333-4444-555555555555';
    scratch.write(`claude/projects/-w/${session}.jsonl`, claudeAssistant({ session, id: 'm1', requestId: 'r1', ts: '2026-11-01T10:00:00.000Z', usage: { input: 5, output: 7 } }));
    const log: string[] = [];
    scratch.engine({ state: true, log }).start();
    const [index] = fs.readdirSync(scratch.state);
    assert.match(index, /^index-[0-9a-f]{13}\.bin$/);
    const stale = stateFile('index-00000000000ff.bin', STALE_MS + DAY);
    const fresh = stateFile('index-00000000000fe.bin', DAY);

    // A start that reads nothing new loads the index and does not save it: it only marks it used.
    const own = path.join(scratch.state, index);
    const at = (Date.now() - 3 * DAY) / 1000;
    fs.utimesSync(own, at, at);
    const warm = scratch.engine({ state: true, log, saveMinBytes: 1 << 20 }).start();
    assert.equal(warm.indexLoaded, true);
    assert.ok(ageOf(own) < 60_000, 'the loaded index is marked used');
    assert.ok(fs.existsSync(stale), 'nothing is removed without a save');

    scratch.engine({ state: true, log }).start();
    assert.equal(fs.existsSync(stale), false, 'an index unused for a month goes when one is saved');
    assert.ok(fs.existsSync(fresh) && fs.existsSync(own));
    assert.deepEqual(log, [`Removed 1 usage index unused for 30 days from ${scratch.state}: index-00000000000ff.bin`]);
  });
});
