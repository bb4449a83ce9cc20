// Lint: typescript-eslint's recommended rules on the sources, tests, benchmarks and scripts;
// formatting is Prettier's (`npm run lint` checks both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The user-project fixture is a user's code, written as users write it (`import x = require()`).
  {
    ignores: [
      'dist/',
      'build/',
      'prebuilds/',
      'node_modules/',
      'native/',
      'test-artifacts/',
      'data/',
      'bench/results/',
      'test/integration/fixtures/user-project/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names mark parameters a signature needs but a body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // A variable a closure reads before its one assignment (a timer id) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Getters and inner classes reach their owner under a name that says which one.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['breaker', 'clock'] }],
    },
  },
  { files: ['src/observe/dashboard/client-script.ts'], languageOptions: { globals: { ...globals.browser } } },
  prettier,
);
