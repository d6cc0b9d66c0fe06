// Lint keeps the layers honest: core never sees `vscode`, the webview never sees Node or `vscode`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', '.bench/**', 'src/core/pricing/prices.generated.ts', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `import fs = require('node:fs')` bundles to a plain require; `import * as fs` makes esbuild
      // copy every export onto a namespace object at each start (2 ms of the CLI's warm start).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core stays editor-free: move VS Code glue to src/host.' }] }],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview runs in a browser: talk to the host by message.' }],
          patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto'], message: 'The webview runs in a browser: no Node modules.' }],
        },
      ],
    },
  },
);
