// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over
// everything we write. Syntax-only rules (no type information): lint stays a few
// seconds; the type checks are tsc's job (tsconfig.json, test/tsconfig.json).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'oclif.manifest.json', 'tmp/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly'},
    },
    rules: {
      // `_x` names an argument or binding kept on purpose (a callback's signature, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true}],
    },
  },
  {
    // The end-to-end tests read the CLI's JSON output: `any` is its honest type there
    // (each assertion says what shape it expects).
    files: ['test/e2e/**/*.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
  {
    // Tests match terminal escapes and control characters on purpose (colours stripped, escaping checked).
    files: ['test/**/*.ts'],
    rules: {'no-control-regex': 'off'},
  },
)
