#!/usr/bin/env node
/**
 * agent-meter's entry point (dist/cli.js): runs the CLI bundle (dist/cli-main.js) with V8's
 * compiled code cached next to the index, so repeated runs (a statusline every few seconds) skip
 * parsing and compiling the bundle: about a tenth of a warm start's CPU time here. Node 22.1+ has
 * this built in (module.enableCompileCache); older Node gets the same from vm.Script's cachedData.
 * The cache is only an optimisation: anything wrong with it and the bundle runs as usual.
 * `--no-cache` writes nothing, this cache included.
 */
import fs = require('node:fs');
import Module from 'node:module';
import path = require('node:path');
import v8 = require('node:v8');
import vm = require('node:vm');
import { optionValue } from './core/util/args';
import { defaultStateDir } from './core/util/paths';
import { markUsed, pruneStale } from './core/util/stateFiles';

const main = path.join(__dirname, 'cli-main.js');
/** The code caches' names, `cli-<V8>-<bundle size>-<bundle time>.v8cache`: one per build and V8. */
const CACHE_NAME = /^cli-.+\.v8cache$/;

/** Where the code cache goes, read as the CLI reads its options; none when the CLI will refuse them. */
function stateDir(argv: readonly string[]): string | undefined {
  if (argv.includes('--no-cache')) return undefined;
  const at = argv.indexOf('--state-dir');
  // `--state-dir` without a value is a usage error: no cache in a folder named after the next option.
  return at < 0 ? defaultStateDir() : optionValue(argv, at);
}

/** Runs the bundle from a vm.Script with cached data; false when that could not be set up. */
function runCached(dir: string): boolean {
  let source: string;
  let stat: fs.Stats;
  try {
    source = fs.readFileSync(main, 'utf8');
    stat = fs.statSync(main);
  } catch {
    return false;
  }
  // One cache per bundle build and per V8 (a cache from another V8 is rejected anyway).
  const cacheFile = path.join(dir, `cli-${process.versions.v8}-${stat.size}-${Math.round(stat.mtimeMs)}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  let script: vm.Script;
  try {
    // The bundle's shebang line is blanked (not removed), so line numbers in stacks still match.
    script = new vm.Script(Module.wrap(source.replace(/^#!.*/, '')), { filename: main, cachedData });
  } catch {
    return false;
  }
  if (cachedData && !script.cachedDataRejected) {
    markUsed(cacheFile);
  } else {
    // Written at exit, so it also holds the functions this run compiled lazily.
    process.once('exit', () => {
      try {
        const temp = `${cacheFile}.${process.pid}.tmp`;
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temp, cacheFile);
        // Caches of builds unused for a month (an older install) go when a new build writes its own.
        pruneStale(dir, CACHE_NAME, path.basename(cacheFile));
      } catch {
        // A cache that cannot be written costs the next run its compile time, nothing else.
      }
    });
  }
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const mod = { exports: {}, filename: main, id: main };
  wrapper.call(mod.exports, mod.exports, Module.createRequire(main), mod, main, __dirname);
  return true;
}

/** Loads the bundle the usual way (its path is only known at run time, so not bundled here). */
function load(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(main);
}

/**
 * TurboFan without inlining, for this process only (never the editor's extension host). A run is
 * short: a cold scan of 500 MB of logs takes ~0.3 s, and most of its hot code runs unoptimised
 * until the compiler, on the other core, catches up: ~210 ms of compiling with inlining, ~160 ms
 * without, each function ready sooner. Paired cold runs here: 416 → 361 ms (median of 21); the
 * optimised code is 5–10% slower once warm, which a single scan of about 3 GB makes up.
 * Set before the bundle is compiled; the code cache below is made and checked under the same flags.
 */
v8.setFlagsFromString('--no-turbo-inlining');

const dir = stateDir(process.argv.slice(2));
const builtin = (Module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
if (dir && builtin) {
  builtin(path.join(dir, 'compile-cache'));
  load();
} else if (!dir || !runCached(dir)) {
  load();
}
