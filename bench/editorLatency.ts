/**
 * Runs inside the extension host (extension-test protocol): appends lines to a Claude Code log in
 * the workspace and times each append until the status bar item shows it. Prints one line
 * `AGENT_METER_BENCH {json}` that bench.ts reads. Bounded: 60 appends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgentMeterApi } from '../src/extension';

const APPENDS = 60;

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<AgentMeterApi>('agent-meter.agent-meter')!;
  const api = ext.isActive ? ext.exports : await ext.activate();
  await api.ready;
  const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const session = 'be7c4000-0000-4000-8000-000000000001';
  const dir = path.join(process.env.CLAUDE_CONFIG_DIR!, 'projects', workspace.replace(/[^a-zA-Z0-9]/g, '-'));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${session}.jsonl`);
  const line = (n: number) =>
    `${JSON.stringify({
      type: 'assistant',
      cwd: workspace,
      sessionId: session,
      message: { id: `msg_bench_${n}`, model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'x'.repeat(2000) }], usage: { input_tokens: 1000 + n, output_tokens: 100, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 0 } },
      requestId: `req_bench_${n}`,
      timestamp: new Date().toISOString(),
    })}\n`;
  fs.writeFileSync(file, line(0));
  const waitForChange = async (before: string, limitMs: number): Promise<boolean> => {
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline) {
      if (api.statusBar.text !== before) return true;
      await new Promise((r) => setTimeout(r, 1));
    }
    return false;
  };
  await waitForChange('$(pulse) Agent Meter', 5000);
  const samples: number[] = [];
  let missed = 0;
  for (let n = 1; n <= APPENDS; n++) {
    const before = api.statusBar.text;
    const t0 = performance.now();
    fs.appendFileSync(file, line(n));
    if (await waitForChange(before, 2000)) samples.push(performance.now() - t0);
    else missed++;
    await new Promise((r) => setTimeout(r, 50));
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
  console.log(`AGENT_METER_BENCH ${JSON.stringify({ appends: APPENDS, missed, p50: pct(50), p95: pct(95), max: samples.at(-1), activationMs: api.activationMs })}`);
}
