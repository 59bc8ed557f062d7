// One lint tool for the repository (CI: `npm run lint`). ESLint with typescript-eslint; Biome was
// the first choice but its platform binaries are not all served by the registry this project
// installs from, which breaks `npm ci` on a lockfile that lists them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', '**/test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The verifier's core also runs in the browser (WebCrypto and fetch only); the CLI is the Node side.
    files: ['packages/verifier/src/**/*.ts'],
    ignores: ['packages/verifier/src/cli.ts', 'packages/verifier/src/cli/**', 'packages/verifier/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'The verifier core runs in browsers too: no Node modules.' }] }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'The verifier core runs in browsers too.' }, { name: 'process', message: 'The verifier core runs in browsers too.' }],
    },
  },
);
