// Layer rules from DESIGN.md are enforced here, not in review:
// server/ and shared/ never import vscode; client/ never imports server/;
// the engine never imports LSP types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only client/ may import vscode.' };
const lspPackages = [
  'vscode-languageserver',
  'vscode-languageserver/*',
  'vscode-languageserver-protocol',
  'vscode-jsonrpc',
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.scratch/**', '.test-artifacts/**', 'demo/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['server/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [{ group: ['**/client/**'], message: 'The server never reaches into the client.' }],
        },
      ],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'The results view runs in a browser; it talks to the extension by message.' },
          ],
          patterns: [{ group: ['**/server/**', '**/client/**'], message: 'The webview imports only shared/.' }],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              group: ['**/server/**', '**/client/**'],
              message: 'shared/ is imported by both sides and imports neither.',
            },
            {
              group: ['vscode-languageserver*', 'vscode-languageclient*'],
              message: 'shared/ stays free of transport libraries.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              group: lspPackages,
              message: 'The engine never imports LSP types; features adapt engine results to LSP.',
            },
            {
              group: ['**/features/**', '**/workspace/**', '**/session', '**/client/**'],
              message: 'The engine sits below features and workspace.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/**', '**/server/src/**'],
              message: 'The client talks to the server only through shared/ and the protocol.',
            },
          ],
        },
      ],
    },
  },
);
