// Builds the extension and the CLI (bundled) and the tests (one file per source, for mocha).
//   node esbuild.config.mjs [--watch] [--production] [--tests]
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { 'process.env.AGENT_METER_VERSION': JSON.stringify(pkg.version) },
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // zod stays outside the CLI bundle: it is 800 KB that every run would parse, and the CLI needs it
  // only for --price-overrides (a dependency, so it is there when the package is installed).
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli-main.js', external: ['zod'], minify: true },
  // The CLI's entry point: runs cli-main.js with V8's compiled code cached (see src/cliLoader.ts).
  { ...common, entryPoints: ['src/cliLoader.ts'], outfile: 'dist/cli.js', minify: true, sourcemap: false },
  // The Claude Code stop hook: started on every tool call, so tiny and dependency-free.
  { ...common, entryPoints: ['src/hook/preToolUse.ts'], outfile: 'dist/agent-meter-hook.js', minify: true, sourcemap: false },
  // Estimate Tokens: js-tiktoken with the o200k_base ranks (2.3 MB), required only when the command
  // runs so activation never parses it. Minified, no source map (the ranks are one long string).
  { ...common, entryPoints: ['src/core/estimate/tokenizer.ts'], outfile: 'dist/tokenizer.js', minify: true, sourcemap: false },
];
// The recap page runs in the webview (a browser): no Node, no vscode.
if (existsSync('src/webview/main.ts')) {
  builds.push({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview/main.js' });
}

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...tsFiles(full));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

if (tests) {
  // Unbundled so each test file runs alone and `vscode` resolves inside the extension host.
  builds.push({
    // src/webview is browser code, bundled above; tests reach its pure parts through src/core.
    entryPoints: ['src', 'test', 'bench'].flatMap((d) => { try { return tsFiles(d); } catch { return []; } }).filter((f) => !f.startsWith(join('src', 'webview'))),
    outdir: 'out',
    outbase: '.',
    bundle: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    define: common.define,
  });
}

// Node looks for the package.json nearest each script it loads, to learn the module type, and reads
// the whole file: without this one it parses the extension's manifest (16 KB) on every CLI run,
// about a millisecond of a warm start.
mkdirSync('dist', { recursive: true });
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
