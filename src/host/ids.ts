/**
 * One source of truth for command ids and setting keys. A unit test compares these with
 * package.json#contributes so neither can drift.
 */
export const COMMANDS = {
  startTask: 'agentMeter.startTask',
  finishTask: 'agentMeter.finishTask',
  editBudget: 'agentMeter.editBudget',
  pauseTask: 'agentMeter.pauseTask',
  resumeTask: 'agentMeter.resumeTask',
  showRecap: 'agentMeter.showRecap',
  showSessions: 'agentMeter.showSessions',
  snoozeAlerts: 'agentMeter.snoozeAlerts',
  showLog: 'agentMeter.showLog',
  rescan: 'agentMeter.rescan',
  meterMenu: 'agentMeter.meterMenu',
  enableStopHook: 'agentMeter.enableStopHook',
  removeStopHook: 'agentMeter.removeStopHook',
  estimateSelection: 'agentMeter.estimateSelectionTokens',
  estimateFile: 'agentMeter.estimateFileTokens',
} as const satisfies Record<string, `agentMeter.${string}`>;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Setting keys below the `agentMeter` section. */
export const SETTINGS = {
  claudeConfigDirs: 'claude.configDirs',
  codexHome: 'codex.home',
  priceOverrides: 'pricing.overrides',
  warningAt: 'statusBar.warningAt',
  errorAt: 'statusBar.errorAt',
  budgetUsd: 'budget.defaultUsd',
  budgetTokens: 'budget.defaultTokens',
  budgetMinutes: 'budget.defaultMinutes',
  alertThresholds: 'alerts.thresholds',
  promptOnNewSession: 'tasks.promptOnNewSession',
  guard: 'guard.thresholds',
} as const satisfies Record<string, string>;

export const SECTION = 'agentMeter';

/** Context keys for `when` clauses. */
export const CONTEXT = {
  taskState: 'agentMeter.taskState',
} as const;

export const STATUS_BAR_ID = 'agentMeter.meter';
export const VIEW_TYPE_RECAP = 'agentMeter.recap';
