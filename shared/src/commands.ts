/** Every command the extension contributes, declared once (package.json mirrors it; a test checks). */
export const Commands = {
  restartServer: 'slayer.restartServer',
  showOutput: 'slayer.showOutput',
  showStorageRoots: 'slayer.showStorageRoots',
  runQuery: 'slayer.runQuery',
  showSql: 'slayer.showSql',
  inspectModel: 'slayer.inspectModel',
  previewModel: 'slayer.previewModel',
  saveQueryAsModel: 'slayer.saveQueryAsModel',
  runMeasure: 'slayer.runMeasure',
  runAtCursor: 'slayer.runAtCursor',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const COMMAND_TITLES: Record<CommandId, string> = {
  'slayer.restartServer': 'SLayer: Restart Language Server',
  'slayer.showOutput': 'SLayer: Show Output',
  'slayer.showStorageRoots': 'SLayer: Show Storage Roots',
  'slayer.runQuery': 'SLayer: Run Query',
  'slayer.showSql': 'SLayer: Show Compiled SQL',
  'slayer.inspectModel': 'SLayer: Inspect Model',
  'slayer.previewModel': 'SLayer: Preview Model',
  'slayer.saveQueryAsModel': 'SLayer: Save Query as Model',
  'slayer.runMeasure': 'SLayer: Run Measure',
  'slayer.runAtCursor': 'SLayer: Run the Query, Stage or Measure at the Cursor',
};
