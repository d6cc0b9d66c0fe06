/**
 * "Estimate Tokens of Selection" and "Estimate Tokens of File": counts the text with o200k_base and
 * shows what it would cost as input on the models this workspace's agents used recently.
 *
 * The tokenizer is a separate bundle (`dist/tokenizer.js`, 2.3 MB of ranks) required on the first
 * run of either command, so activation never loads it. Each command returns its `TokenEstimate`
 * (the integration test reads it) and shows the result without waiting for the user.
 */
import path = require('node:path');
import * as vscode from 'vscode';
import { buildEstimate, CONFIRM_ABOVE_BYTES, estimateDollars, estimateText, summaryText, type TokenEstimate } from '../core/estimate/estimate';
import type * as Tokenizer from '../core/estimate/tokenizer';
import { createPricer } from '../core/pricing/pricer';
import { inWorkspace } from '../core/tasks/attribution';
import type { Settings } from './config';
import type { EngineService } from './engineService';
import { COMMANDS } from './ids';

export interface EstimateDeps {
  readonly engine: EngineService;
  readonly folders: () => string[];
  readonly settings: () => Settings;
  readonly log: vscode.LogOutputChannel;
  /** The tokenizer bundle; production callers omit it (it sits next to dist/extension.js). */
  readonly tokenizerPath?: string;
}

/**
 * 1 MB: counting runs on the extension host's thread at about 1.3 MB/s, so above this (and on the
 * first run, when building the encoder from the ranks takes about 0.9 s) a progress notification
 * says why the editor is briefly busy.
 */
const PROGRESS_ABOVE_BYTES = 1024 * 1024;

/** Registers both commands (declared in package.json; ids in ids.ts). */
export function registerEstimateTokens(deps: EstimateDeps): vscode.Disposable {
  const tokenizerPath = deps.tokenizerPath ?? path.join(__dirname, 'tokenizer.js');
  let tokenizer: typeof Tokenizer | undefined;
  const countTokens = (text: string): number => {
    if (!tokenizer) {
      const started = performance.now();
      // A run-time require of a separate bundle: esbuild leaves it alone, so the ranks stay out of extension.js.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tokenizer = require(tokenizerPath) as typeof Tokenizer;
      deps.log.info(`Tokenizer loaded in ${(performance.now() - started).toFixed(0)} ms from ${tokenizerPath}`);
    }
    return tokenizer.countTokens(text);
  };

  const estimate = async (scope: TokenEstimate['scope'], document: vscode.TextDocument, text: string): Promise<TokenEstimate | undefined> => {
    const bytes = Buffer.byteLength(text, 'utf8');
    const size = `${(bytes / 1048576).toFixed(1)} MB`;
    if (bytes > CONFIRM_ABOVE_BYTES) {
      const go = await vscode.window.showWarningMessage(`Agent Meter: count the tokens of ${size}? The editor may be busy for several seconds.`, { modal: true }, 'Count');
      if (go !== 'Count') return undefined;
    }
    const started = performance.now();
    const tokens =
      bytes > PROGRESS_ABOVE_BYTES || !tokenizer
        ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: tokenizer ? `Agent Meter: counting the tokens of ${size}…` : 'Agent Meter: loading the tokenizer…' }, async () => {
            await new Promise((r) => setTimeout(r, 50)); // let the notification paint before the thread is busy
            return countTokens(text);
          })
        : countTokens(text);
    const folders = deps.folders();
    const result = buildEstimate({
      scope,
      label: vscode.workspace.asRelativePath(document.uri, false),
      tokens,
      characters: text.length,
      sessions: deps.engine.engine.ledger.summaries((_agent, _id, cwd) => inWorkspace(cwd, folders)),
      pricer: createPricer(deps.settings().priceOverrides),
      now: Date.now(),
    });
    deps.log.info(`Estimated ${tokens} tokens (${result.encoding}) of ${scope} ${result.label} in ${(performance.now() - started).toFixed(0)} ms`);
    show(result);
    return result;
  };

  const guarded =
    <A extends unknown[]>(fn: (...args: A) => Promise<TokenEstimate | undefined>) =>
    async (...args: A): Promise<TokenEstimate | undefined> => {
      try {
        return await fn(...args);
      } catch (error) {
        deps.log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
        void vscode.window.showErrorMessage(`Agent Meter: could not estimate tokens: ${(error as Error).message}`);
        return undefined;
      }
    };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      COMMANDS.estimateSelection,
      guarded(async () => {
        const editor = vscode.window.activeTextEditor;
        const parts = editor?.selections.filter((s) => !s.isEmpty).map((s) => editor.document.getText(s)) ?? [];
        if (!editor || parts.length === 0) {
          void vscode.window.showInformationMessage('Agent Meter: select some text to estimate its tokens.');
          return undefined;
        }
        // Several selections count as they would be pasted together, one per line.
        return estimate('selection', editor.document, parts.join('\n'));
      }),
    ),
    vscode.commands.registerCommand(
      COMMANDS.estimateFile,
      guarded(async (uri?: unknown) => {
        const document = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
        if (!document) {
          void vscode.window.showInformationMessage('Agent Meter: open a file to estimate its tokens.');
          return undefined;
        }
        return estimate('file', document, document.getText());
      }),
    ),
  );
}

/** Shows the estimate without blocking the command: a notification with Copy and Details. */
function show(e: TokenEstimate): void {
  void vscode.window.showInformationMessage(summaryText(e), 'Copy', 'Details').then(async (choice) => {
    if (choice === 'Copy') await copy(e);
    else if (choice === 'Details') await details(e);
  });
}

async function copy(e: TokenEstimate): Promise<void> {
  await vscode.env.clipboard.writeText(estimateText(e));
  vscode.window.setStatusBarMessage('Agent Meter: estimate copied', 3000);
}

async function details(e: TokenEstimate): Promise<void> {
  const copyItem: vscode.QuickPickItem = { label: '$(copy) Copy estimate', alwaysShow: true };
  const rows: vscode.QuickPickItem[] = e.rows.map((r) => ({
    label: r.model,
    description: `${estimateDollars(r.inputUSD)} input${r.cachedInputUSD !== null ? ` · ${estimateDollars(r.cachedInputUSD)} if read from cache` : ''}`,
    detail: r.approximate
      ? `Approximate: counted with ${e.encoding}; ${r.provider === 'anthropic' ? "Anthropic's tokenizer is not public" : "this model's tokenizer differs"}`
      : `${e.encoding} is this model's encoding`,
  }));
  const picked = await vscode.window.showQuickPick([copyItem, { label: '', kind: vscode.QuickPickItemKind.Separator }, ...rows], {
    title: `Estimated: ~${e.tokens.toLocaleString('en-US')} tokens as input (${e.modelsFrom === 'workspace' ? "this workspace's recent models" : 'default models'})`,
    placeHolder: `Prices from ${e.priceTable.source} (${e.priceTable.date})`,
    matchOnDescription: true,
  });
  if (picked === copyItem) await copy(e);
}
