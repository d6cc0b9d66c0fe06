import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, SECTION, SETTINGS } from '../../src/host/ids';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

describe('package.json agrees with the code', () => {
  it('declares exactly the commands the extension registers', () => {
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(declared, Object.values(COMMANDS).sort());
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Agent Meter', `${c.command} has the category`);
  });

  it('declares exactly the settings the extension reads', () => {
    const declared = Object.keys(manifest.contributes.configuration.properties).sort();
    assert.deepEqual(declared, Object.values(SETTINGS).map((k) => `${SECTION}.${k}`).sort());
    for (const [key, p] of Object.entries<{ description?: string; markdownDescription?: string }>(manifest.contributes.configuration.properties)) {
      assert.ok(p.description || p.markdownDescription, `${key} has a description`);
    }
  });

  it('activates after startup and targets VS Code 1.100', () => {
    assert.ok(manifest.activationEvents.includes('onStartupFinished'));
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });
});
