#!/usr/bin/env node
// Generates src/core/pricing/prices.generated.ts from the data bundled in @pydantic/genai-prices.
//
// Why a generated module instead of importing the library at run time: requiring the library costs
// 34-52 ms (measured on Node 20, warm cache) because it parses ~480 kB of data for ~30 providers; the
// CLI's whole warm run has a ~100 ms budget. The three providers we price are ~25 kB as a .ts module
// that loads in about a millisecond and compiles the same bundled or unbundled.
//
// Usage (from the repository root):
//   node src/core/pricing/extractTable.mjs [--date=YYYY-MM-DD] [--check]
// --date   the data's date; by default the npm publish time of the installed package version
//          (one `npm view` call). The bundled data carries no date of its own.
// --check  regenerate in memory and exit 1 if the committed file differs (for CI).
//
// The script refuses data it cannot price exactly (time-of-day prices, per-request fees, cache
// write keys it does not know) rather than dropping it silently.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const PACKAGE = '@pydantic/genai-prices';
const PROVIDERS = ['anthropic', 'openai', 'google'];
const OUT = join(here, 'prices.generated.ts');

/** Price keys that apply to the usage we report (text tokens, web searches); copied verbatim. */
const KEPT_KEYS = new Set([
  'input_mtok',
  'output_mtok',
  'cache_write_mtok',
  'cache_write_1h_mtok',
  'cache_read_mtok',
  'web_searches_kcount',
]);
/**
 * Keys that price usage we never report (audio/image/video tokens, file-search calls, audio
 * durations). In genai-prices an unreported, more specific unit decomposes to 0 tokens, so
 * dropping them does not change any price we compute.
 */
const IGNORED_KEY = /(audio|image|video)|^storage_searches_kcount$/;

const args = process.argv.slice(2);
const check = args.includes('--check');
const dateArg = args.find((a) => a.startsWith('--date='))?.slice('--date='.length);

// The package's "exports" hides package.json, so find it next to the resolved entry point.
const entry = require.resolve(PACKAGE);
const pkgJson = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
if (pkgJson.name !== PACKAGE) throw new Error(`unexpected package layout: ${entry}`);
const version = pkgJson.version;
const lib = require(PACKAGE);

function dataDate() {
  if (dateArg) return dateArg;
  if (check) return readCommitted()?.match(/^"date":"(\d{4}-\d{2}-\d{2})",$/m)?.[1];
  try {
    const out = execFileSync('npm', ['view', `${PACKAGE}@${version}`, 'time', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const published = JSON.parse(out)[version];
    if (typeof published === 'string') return published.slice(0, 10);
  } catch {
    // offline: fall through to the error below
  }
  throw new Error(`cannot find the publish date of ${PACKAGE}@${version}; pass --date=YYYY-MM-DD`);
}

function readCommitted() {
  try {
    return readFileSync(OUT, 'utf8');
  } catch {
    return undefined;
  }
}

function fail(where, what) {
  throw new Error(`${where}: ${what} (extractTable.mjs cannot price this exactly; extend it)`);
}

function copyPrice(where, key, value) {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && typeof value.base === 'number' && Array.isArray(value.tiers)) {
    const tiers = value.tiers.map((t) => ({ start: t.start, price: t.price })).sort((a, b) => a.start - b.start);
    for (const t of tiers) if (!Number.isSafeInteger(t.start) || typeof t.price !== 'number') fail(where, `bad tier in ${key}`);
    return { base: value.base, tiers };
  }
  return fail(where, `unknown price shape for ${key}: ${JSON.stringify(value)}`);
}

function copyRates(where, prices) {
  const out = {};
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined) continue;
    if (KEPT_KEYS.has(key)) out[key] = copyPrice(where, key, value);
    else if (!IGNORED_KEY.test(key)) fail(where, `unknown price key ${key}`);
  }
  return out;
}

function copyPeriods(where, prices) {
  if (!Array.isArray(prices)) return [{ prices: copyRates(where, prices) }];
  return prices.map((p, i) => {
    const c = p.constraint;
    if (c === undefined) {
      if (i !== 0) fail(where, 'unconstrained price after the first');
      return { prices: copyRates(where, p.prices) };
    }
    if (c.type !== 'start_date' || !/^\d{4}-\d{2}-\d{2}$/.test(c.start_date)) fail(where, `constraint ${JSON.stringify(c)}`);
    return { from: c.start_date, prices: copyRates(where, p.prices) };
  });
}

function extract() {
  const providers = {};
  for (const id of PROVIDERS) {
    const p = lib.findProvider({ providerId: id });
    if (!p || p.id !== id) throw new Error(`provider ${id} missing from ${PACKAGE}@${version}`);
    providers[id] = {
      fallback: (p.fallback_model_providers ?? []).filter((f) => PROVIDERS.includes(f)),
      models: p.models.map((m) => ({ id: m.id, match: m.match, periods: copyPeriods(`${id}/${m.id}`, m.prices) })),
    };
  }
  return providers;
}

/**
 * The module's text. The table is JSON in a template literal given to JSON.parse, one model per
 * line so a price change is a one-line diff: V8 parses JSON several times faster than the same
 * data as an object literal, which every CLI start evaluates (about 1 ms of a ~65 ms warm start
 * here). The data's shape is checked as it is extracted above, not by the compiler.
 */
function render(date, providers) {
  const lines = [
    '// GENERATED by src/core/pricing/extractTable.mjs from the data bundled in',
    `// ${PACKAGE}@${version} (MIT, https://github.com/pydantic/genai-prices). Do not edit by hand:`,
    '// run `node src/core/pricing/extractTable.mjs` after upgrading the package.',
    "import type { PriceTableData } from './priceTable';",
    '',
    '/** The bundled, dated, offline price table (anthropic, openai, google only). */',
    'export const PRICE_TABLE = JSON.parse(`{',
    `"source":${JSON.stringify(`${PACKAGE}@${version}`)},`,
    `"date":${JSON.stringify(date)},`,
    '"providers":{',
  ];
  const entries = Object.entries(providers);
  entries.forEach(([id, p], i) => {
    lines.push(`${JSON.stringify(id)}:{"fallback":${JSON.stringify(p.fallback)},"models":[`);
    p.models.forEach((m, j) => lines.push(`${templateText(JSON.stringify(m))}${j < p.models.length - 1 ? ',' : ''}`));
    lines.push(`]}${i < entries.length - 1 ? ',' : ''}`);
  });
  lines.push('}}`) as PriceTableData;', '');
  return lines.join('\n');
}

/** `text` as it must be written inside a template literal to read back as itself. */
function templateText(text) {
  return text.replace(/\\|`|\$\{/g, (c) => `\\${c}`);
}

const text = render(dataDate(), extract());
if (check) {
  if (readCommitted() !== text) {
    console.error(`${OUT} is stale: run node src/core/pricing/extractTable.mjs`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date (${PACKAGE}@${version})`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT} (${PACKAGE}@${version}, ${text.length} bytes)`);
}
