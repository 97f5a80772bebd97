// Lint enforces the process boundaries (house style rules 1–2), not review.
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';

const noElectron = { paths: [{ name: 'electron', message: 'main/engine is a plain Node library: no electron imports.' }], patterns: [{ group: ['electron/*'], message: 'no electron in the engine' }] };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.cache/**', 'test/bench/results/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['main/engine/**/*.ts', 'main/cli.ts', 'main/commands/**/*.ts', 'main/host/**/*.ts', 'main/ipc/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  {
    // host composes ipc (handlers, envelope, pushes) around the engine child; ipc never reaches back,
    // so the two folders have no import cycle. Shapes ipc needs from the host are declared in ipc.
    files: ['main/ipc/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noElectron.paths,
        patterns: [...noElectron.patterns, { group: ['**/host', '**/host/*'], message: 'main/ipc imports nothing from main/host (main/host imports main/ipc): declare the shape ipc needs in ipc.' }],
      }],
    },
  },
  {
    files: ['preload/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'the contract is pure TypeScript' }],
        patterns: [{ group: ['node:*', '../../main/*', '../../renderer/*'], message: 'the contract imports no node:*, no electron, no main or renderer code' }],
      }],
    },
  },
  // Svelte components: the plugin's recommended rules, TypeScript in <script lang="ts">, and the same
  // boundary as the renderer's .ts files.
  ...svelte.configs.recommended,
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // Our Sets and Maps are local temporaries handed on whole (state is replaced, never mutated in place).
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'the renderer talks to main only through the contract' }],
        patterns: [{ group: ['node:*', '**/main/**', '../../main/*', '../../../main/*', '**/preload/index*'], message: 'the renderer imports only its own files and preload/contract' }],
      }],
    },
  },
);
