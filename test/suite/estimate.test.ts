import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenEstimate } from '../../src/core/estimate/estimate';
import { countTokens } from '../../src/core/estimate/tokenizer';
import { COMMANDS } from '../../src/host/ids';
import { api } from './helpers';

/** A Claude Code session in this workspace on claude-opus-4-1 ($15/M input, $1.50/M cache read). */
function writeOpusSession(workspace: string): void {
  const session = 'e5717a7e-0000-4000-8000-000000000042';
  const dir = path.join(process.env.CLAUDE_CONFIG_DIR!, 'projects', 'estimate-test');
  fs.mkdirSync(dir, { recursive: true });
  const line = JSON.stringify({ type: 'assistant', cwd: workspace, sessionId: session, timestamp: new Date().toISOString(), requestId: 'req_estimate', message: { id: 'msg_estimate', model: 'claude-opus-4-1-20250805', content: [], usage: { input_tokens: 5, output_tokens: 1 } } });
  fs.writeFileSync(path.join(dir, `${session}.jsonl`), `${line}\n`);
}

/** Runs `test` on a file of the workspace holding `text`, removed afterwards. */
async function withWorkspaceFile(name: string, text: string, test: (uri: vscode.Uri) => Promise<void>): Promise<void> {
  const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, name);
  fs.writeFileSync(file, text);
  try {
    await test(vscode.Uri.file(file));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const tokenizerLoaded = () => Object.keys(require.cache).some((k) => k.endsWith(`${path.sep}dist${path.sep}tokenizer.js`));

describe('estimate tokens in a real editor', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('does not load the tokenizer at activation', async () => {
    await api();
    assert.equal(tokenizerLoaded(), false, 'dist/tokenizer.js was required before any Estimate Tokens command ran');
  });

  it('Estimate Tokens of Selection counts the selection and prices it on the workspace models', async () => {
    const a = await api();
    writeOpusSession(vscode.workspace.workspaceFolders![0].uri.fsPath);
    await vscode.commands.executeCommand(COMMANDS.rescan);
    assert.ok(a.engine.engine.ledger.summaries().some((s) => s.models.includes('claude-opus-4-1-20250805')));

    const document = await vscode.workspace.openTextDocument({ content: 'first line\nhello world\nlast line\n', language: 'plaintext' });
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(1, 0, 1, 11); // "hello world"
    const e = await vscode.commands.executeCommand<TokenEstimate>(COMMANDS.estimateSelection);

    assert.ok(tokenizerLoaded(), 'the command loads dist/tokenizer.js');
    assert.equal(e.scope, 'selection');
    assert.equal(e.encoding, 'o200k_base');
    assert.equal(e.tokens, 2, '"hello world" is 2 o200k_base tokens');
    assert.equal(e.characters, 11);
    assert.equal(e.modelsFrom, 'workspace');
    const opus = e.rows.find((r) => r.model === 'claude-opus-4-1-20250805');
    assert.ok(opus, `rows: ${e.rows.map((r) => r.model).join(', ')}`);
    assert.ok(Math.abs(opus.inputUSD! - 0.00003) < 1e-12, `2 × $15/M, got ${opus.inputUSD}`);
    assert.ok(Math.abs(opus.cachedInputUSD! - 0.000003) < 1e-12, `2 × $1.50/M, got ${opus.cachedInputUSD}`);
    assert.equal(opus.approximate, true);
  });

  it('Estimate Tokens of File counts the whole document', async () => {
    const text = 'export const answer = 42;\n// Größe: 日本語 🙂\n'.repeat(50);
    // A file, not an untitled editor: code-server can give a new untitled editor the name of one
    // just closed, and opening that name can then return the closed document's text.
    await withWorkspaceFile('estimate-whole.ts', text, async (uri) => {
      await vscode.window.showTextDocument(uri);
      // By URI, as the explorer's context menu passes it: the active editor may be another document
      // (an output channel opened by an earlier test).
      const e = await vscode.commands.executeCommand<TokenEstimate>(COMMANDS.estimateFile, uri);
      assert.equal(e.scope, 'file');
      assert.equal(e.tokens, countTokens(text));
      assert.equal(e.characters, text.length);
      assert.ok(e.rows.length > 0 && e.rows.every((r) => r.inputUSD === null || r.inputUSD > 0), 'priced rows are never $0');
    });
  });

  it('Estimate Tokens of File counts the file it is given, not the active one', async () => {
    const text = '# Notes\n\nThe meter counts what the agents billed.\n'.repeat(20);
    await withWorkspaceFile('estimate-me.md', text, async (uri) => {
      const other = await vscode.workspace.openTextDocument({ content: 'something else', language: 'plaintext' });
      await vscode.window.showTextDocument(other);
      const e = await vscode.commands.executeCommand<TokenEstimate>(COMMANDS.estimateFile, uri);
      assert.equal(e.tokens, countTokens(text));
      assert.equal(e.characters, text.length);
    });
  });

  it('Estimate Tokens of Selection without a selection only informs', async () => {
    const document = await vscode.workspace.openTextDocument({ content: 'nothing selected', language: 'plaintext' });
    await vscode.window.showTextDocument(document);
    assert.equal(await vscode.commands.executeCommand(COMMANDS.estimateSelection), undefined);
  });
});
