import os = require('node:os');
import path = require('node:path');

/** The OS cache folder for Agent Meter's index (CLI default; the extension uses globalStorage). */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env, platform = process.platform, home = os.homedir()): string {
  if (env.AGENT_METER_STATE_DIR) return env.AGENT_METER_STATE_DIR;
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'agent-meter', 'Cache');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'agent-meter');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'agent-meter');
}
