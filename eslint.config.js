// Lint budget: type-aware rules, no floating promises, no `any`, explicit types at module
// boundaries, and a complexity/depth budget so modules stay small and readable.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Only src/gt/ (and the local node, below) starts processes. */
const NO_SPAWN = ['node:child_process', 'child_process'].map((name) => ({
  name,
  message: 'Only src/gt/ runs processes (exec without a shell, validated arguments); go through the GtClient from src/gt/index.ts.',
}));

/** Outside src/gt/, only its public entry is imported. */
const GT_ENTRY_ONLY = {
  regex: '(^|/)gt/(?!index\\.ts$)',
  message: 'Import the gt client from src/gt/index.ts, its only public entry.',
};

/** The runtime is generic: controllers build on it, never the other way round. */
const RUNTIME_BELOW_CONTROLLERS = {
  regex: '(^|/)controllers/',
  message: 'src/runtime/ never imports src/controllers/.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', 'deploy/**', '.data/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      complexity: ['error', 20],
      'max-depth': ['error', 4],
      'no-console': 'off',
    },
  },
  // The import layers (HACKING.md "Rules"), for src/ only; sim/, test/, bench/ and scripts/
  // are outside them. A later block replaces the earlier one's list, so each repeats it.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/gt/**', 'src/apiserver/node/**'],
    rules: { 'no-restricted-imports': ['error', { paths: NO_SPAWN, patterns: [GT_ENTRY_ONLY] }] },
  },
  {
    // The local node runs pods as host processes: the one place besides src/gt/ that spawns.
    files: ['src/apiserver/node/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [GT_ENTRY_ONLY] }] },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: NO_SPAWN, patterns: [GT_ENTRY_ONLY, RUNTIME_BELOW_CONTROLLERS] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      complexity: 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
