import * as assert from 'node:assert/strict';
import fs = require('node:fs');
import path = require('node:path');
import { claudeSource } from '../../src/core/sources/claude/claudeSource';
import { clineSdkSource } from '../../src/core/sources/cline/clineSdkSource';
import { clineSource, kiloCodeSource, rooCodeSource } from '../../src/core/sources/cline/clineSource';
import { codexSource } from '../../src/core/sources/codex/codexSource';
import { copilotEmptyWindowSource, copilotWorkspaceSource } from '../../src/core/sources/copilot/copilotSource';
import { geminiDocumentSource, geminiLogSource } from '../../src/core/sources/gemini/geminiSource';
import { opencodeDbSource, opencodeStorageSource } from '../../src/core/sources/opencode/opencodeSource';
import type { AgentSource } from '../../src/core/sources/source';
import { Scratch } from './helpers/fixtures';

const native = (relative: string) => relative.split('/').join(path.sep);

/** Log paths each source must find, relative to its root, in the layouts the agents write. */
const LOGS: Array<[string, AgentSource, string[]]> = [
  ['Claude Code', claudeSource, ['-work-p/s.jsonl', '-work-p/s/subagents/agent-1.jsonl']],
  ['Codex', codexSource, ['2025/11/02/rollout-2025-11-02T19-00-46-x.jsonl']],
  ['Gemini documents', geminiDocumentSource, ['p/chats/session-1.json']],
  ['Gemini logs', geminiLogSource, ['p/chats/session-1.jsonl', 'p/chats/sub/agent.jsonl']],
  ['Cline', clineSource, ['1700000000000/ui_messages.json']],
  ['Roo Code', rooCodeSource, ['1700000000000/ui_messages.json']],
  ['Kilo Code', kiloCodeSource, ['1700000000000/ui_messages.json']],
  ['Cline SDK', clineSdkSource, ['s1/s1.messages.json']],
  ['OpenCode files', opencodeStorageSource, ['storage/message/ses_1/msg_1.json']],
  ['OpenCode database', opencodeDbSource, ['opencode.db', 'opencode.db-wal', 'opencode-dev.db']],
  ['Copilot workspace chats', copilotWorkspaceSource, ['0123abcd/chatSessions/c.json', '0123abcd/chatSessions/c.jsonl']],
  ['Copilot empty-window chats', copilotEmptyWindowSource, ['c.jsonl']],
];

describe('log discovery', () => {
  for (const [name, source, logs] of LOGS) {
    it(`${name}: every folder above a log is entered`, () => {
      for (const log of logs.map(native)) {
        assert.ok(source.isLogFile(log), `${log} is a log`);
        const parts = log.split(path.sep);
        for (let depth = 1; depth < parts.length; depth++) {
          const folder = parts.slice(0, depth).join(path.sep);
          assert.ok(source.descend?.(folder) ?? true, `${name} enters ${folder} on the way to ${log}`);
        }
      }
    });
  }

  describe('in folders that also hold other data', () => {
    let scratch: Scratch;
    let listed: string[];
    const readdir = fs.readdirSync;
    beforeEach(() => {
      scratch = new Scratch();
      listed = [];
      (fs as { readdirSync: unknown }).readdirSync = (folder: fs.PathLike, ...rest: unknown[]) => {
        listed.push(String(folder));
        return (readdir as (...args: unknown[]) => unknown)(folder, ...rest);
      };
    });
    afterEach(() => {
      (fs as { readdirSync: unknown }).readdirSync = readdir;
      scratch.dispose();
    });

    it('enters only the folders that can hold logs, and walks a root shared by two sources once', () => {
      const opencode = 'home/.local/share/opencode';
      const workspaces = 'home/.config/Code/User/workspaceStorage';
      const wanted = [
        scratch.write(`${opencode}/storage/message/ses_1/msg_1.json`, '{}'),
        scratch.write(`${opencode}/opencode.db`, ''),
        scratch.write(`${workspaces}/ws1/chatSessions/c1.json`, '{}'),
      ];
      scratch.write(`${opencode}/storage/part/msg_1/prt_1.json`, '{}');
      scratch.write(`${opencode}/snapshot/proj/objects/aa/bbbb`, 'x');
      scratch.write(`${workspaces}/ws1/some.extension/cache/deep/file.json`, '{}');
      const found = scratch.engine().scanner.discover();
      assert.deepEqual(found.map((f) => f.file).sort(), wanted.sort());
      assert.deepEqual(
        found.map((f) => [path.basename(f.file), f.source]).sort(),
        [
          ['c1.json', copilotWorkspaceSource],
          ['msg_1.json', opencodeStorageSource],
          ['opencode.db', opencodeDbSource],
        ],
      );
      const under = (relative: string) => listed.filter((folder) => folder.startsWith(path.join(scratch.dir, native(relative))));
      assert.deepEqual(under(`${opencode}/storage/part`), [], 'OpenCode parts are not listed');
      assert.deepEqual(under(`${opencode}/snapshot`), [], 'OpenCode snapshots are not listed');
      assert.deepEqual(under(`${workspaces}/ws1/some.extension`), [], "other extensions' data is not listed");
      assert.equal(listed.filter((folder) => folder === path.join(scratch.dir, native(opencode))).length, 1, 'the OpenCode folder is listed once for its two sources');
    });
  });
});
