/**
 * Exports of a recap: Markdown to paste into a pull request, JSON for tools, CSV for spreadsheets
 * (and the history as CSV). Every string from a log or the user is escaped for its target: a goal
 * is text, never Markdown, HTML or a spreadsheet formula.
 */
import { dollars, grouped } from '../report/format';
import type { HistoryRow, RecapModel } from './recapTypes';

/**
 * Escapes text for Markdown (inline or inside a table cell): backslash-escapes the characters that
 * start inline markup (CommonMark allows it for all ASCII punctuation), including `|` that would
 * split a table cell, `<` that would start raw HTML and `&` that would start an entity. Parentheses
 * need none: with `[` and `]` escaped no link can form. Line breaks become spaces.
 */
export function mdText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ').replace(/[\\`*_[\]<>#|~&]/g, (c) => `\\${c}`);
}

/** `12m 05s`, `1h 02m`, `3d 4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `82%`, or `n/a`. */
export function percent(fraction: number | null): string {
  return fraction === null ? 'n/a' : `${Math.round(fraction * 100)}%`;
}

/** Dollars with "(lower bound)" when some requests were unpriced. */
export function costText(usd: number | null, unpriced: readonly string[]): string {
  const base = dollars(usd);
  return unpriced.length > 0 && usd !== null ? `${base} (lower bound)` : base;
}

/** The outcome of a task in words. */
export function outcomeText(model: Pick<RecapModel, 'status' | 'outcome'>): string {
  if (model.status !== 'finished') return model.status === 'paused' ? 'in progress (paused)' : 'in progress';
  return model.outcome === 'partly' ? 'partly done' : (model.outcome ?? 'finished');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)];
}

/** The recap as Markdown, ready to paste into a pull request description. */
export function recapMarkdown(m: RecapModel): string {
  const d = m.delivered;
  const lines: string[] = [`### Agent Meter recap: ${mdText(m.goal)}`, ''];
  lines.push(
    ...table(
      ['Outcome', 'Cost', 'Tokens', 'Active time', 'Wall time', 'Cache hit rate'],
      [[mdText(outcomeText(m)), mdText(costText(m.costUSD, m.unpricedModels)), grouped(m.tokens.total), duration(m.activeMs), duration(m.wallMs), percent(m.cacheHitRate)]],
    ),
    '',
  );
  if (m.criteria.length) {
    lines.push('**Done criteria**', '', ...m.criteria.map((c) => `- [${c.done ? 'x' : ' '}] ${mdText(c.text)}`), '');
  }
  if (d.git.state === 'ok') {
    lines.push(
      ...table(
        ['Commits', 'Lines changed', 'Files touched', 'Cost per commit', 'Cost per 100 lines'],
        [[String(d.commits), `+${grouped(d.linesAdded)} / -${grouped(d.linesDeleted)}`, String(d.filesTouched), mdText(dollars(d.usdPerCommit, 'n/a')), mdText(dollars(d.usdPer100Lines, 'n/a'))]],
      ),
      '',
    );
  } else {
    lines.push(`_Git: ${mdText(d.git.message)}_`, '');
  }
  lines.push(
    ...table(
      ['Input', 'Output', 'Cache write', 'Cache read', 'Reasoning'],
      [[m.tokens.input, m.tokens.output, m.tokens.cacheWrite, m.tokens.cacheRead, m.tokens.reasoning].map(grouped)],
    ),
    '',
  );
  if (m.byModel.length) {
    lines.push(...table(['Model', 'Requests', 'Tokens', 'Cost'], m.byModel.map((x) => [mdText(x.model), grouped(x.requests), grouped(x.tokens.total), mdText(x.priced ? dollars(x.costUSD) : 'unpriced')])), '');
  }
  if (m.unpricedModels.length) lines.push(`Unpriced models (not in the price table): ${m.unpricedModels.map(mdText).join(', ')}`, '');
  if (m.tools.length) {
    lines.push(...table(['Tool', 'Calls', 'Errors'], m.tools.slice(0, 15).map((t) => [mdText(t.name), grouped(t.calls), grouped(t.errors)])), '');
  }
  if (m.flags.length) {
    lines.push('**Flags**', '', ...m.flags.map((f) => `- ${f.severity === 'error' ? '⛔' : '⚠️'} ${mdText(f.rule)}: ${mdText(f.message)}`), '');
  }
  lines.push(`<sub>Measured by Agent Meter from local agent logs on ${new Date(m.generatedAt).toISOString().slice(0, 10)}.</sub>`);
  return `${lines.join('\n')}\n`;
}

/** The recap as JSON (the model itself, pretty-printed). */
export function recapJson(m: RecapModel): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge spaces, with
 * quotes doubled. Text starting with `= + - @` (or a tab/CR) gets a leading `'` so a spreadsheet
 * shows it instead of running it as a formula (OWASP CSV injection). Numbers are written as numbers.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The recap as CSV in long form: section, item, metric, value (one fact per row). */
export function recapCsv(m: RecapModel): string {
  const d = m.delivered;
  const rows: Array<Array<string | number | null>> = [['section', 'item', 'metric', 'value']];
  const add = (section: string, item: string, metric: string, value: string | number | null) => rows.push([section, item, metric, value]);
  add('task', '', 'goal', m.goal);
  add('task', '', 'outcome', outcomeText(m));
  add('task', '', 'started', new Date(m.startedAt).toISOString());
  if (m.endedAt !== undefined) add('task', '', 'ended', new Date(m.endedAt).toISOString());
  add('task', '', 'wall_ms', m.wallMs);
  add('task', '', 'active_ms', m.activeMs);
  for (const c of m.criteria) add('criterion', c.text, 'done', c.done ? 'yes' : 'no');
  add('cost', '', 'usd', m.costUSD);
  add('cost', '', 'unpriced_models', m.unpricedModels.join(' '));
  add('cost', '', 'requests', m.requests);
  for (const [k, v] of Object.entries(m.tokens)) add('tokens', '', k, v);
  add('cost', '', 'cache_hit_rate', m.cacheHitRate);
  for (const x of m.byModel) {
    add('model', x.model, 'usd', x.costUSD);
    add('model', x.model, 'requests', x.requests);
    add('model', x.model, 'tokens', x.tokens.total);
  }
  add('git', '', 'state', d.git.state);
  add('git', '', 'commits', d.commits);
  add('git', '', 'lines_added', d.linesAdded);
  add('git', '', 'lines_deleted', d.linesDeleted);
  add('git', '', 'files_touched', d.filesTouched);
  add('git', '', 'usd_per_commit', d.usdPerCommit);
  add('git', '', 'usd_per_100_lines', d.usdPer100Lines);
  for (const t of m.tools) {
    add('tool', t.name, 'calls', t.calls);
    add('tool', t.name, 'errors', t.errors);
  }
  for (const f of m.flags) add('flag', f.rule, f.severity, f.message);
  return csv(rows);
}

/** The history as CSV: one row per task. */
export function historyCsv(rows: readonly HistoryRow[]): string {
  return csv([
    ['task_id', 'goal', 'status', 'outcome', 'agents', 'started', 'ended', 'usd', 'unpriced', 'tokens', 'active_ms', 'criteria_done', 'criteria_total'],
    ...rows.map((r) => [
      r.taskId,
      r.goal,
      r.status,
      r.outcome ?? '',
      r.agents.join(' '),
      new Date(r.startedAt).toISOString(),
      r.endedAt === undefined ? '' : new Date(r.endedAt).toISOString(),
      r.costUSD,
      r.unpriced,
      r.tokens,
      r.activeMs,
      r.criteriaDone,
      r.criteriaTotal,
    ]),
  ]);
}
