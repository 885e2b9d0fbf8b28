// ESLint: typescript-eslint's type-checked rules, plus an import rule that keeps the pure core
// (spec, model, slo, drift, rules, report, canary/decide) free of I/O.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['fs', 'http', 'https', 'net', 'child_process', 'dgram', 'cluster', 'worker_threads', 'os', 'process'];
const ioPatterns = [
  ...IO_MODULES.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]),
  'better-sqlite3',
  'express',
  'undici',
  '@kubernetes/*',
  '**/store/*',
  '**/k8s/*',
  '**/alerting/*',
  '**/cli/*',
  '**/daemon/*',
  '**/sidecar/*',
  '**/ingest/*',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'rules/**', 'dashboards/**', 'alertmanager/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['bin/*.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/spec/**', 'src/model/**', 'src/slo/**', 'src/drift/**', 'src/stats/**', 'src/rules/**', 'src/report/**', 'src/render/**', 'src/ingest/**', 'src/correctness/**', 'src/canary/decide.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioPatterns, message: 'the pure core does no I/O (STYLE.md, principle 2)' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'the pure core does no I/O' }, { name: 'fetch', message: 'the pure core does no I/O' }],
    },
  },
  {
    files: ['test/**', 'bench/**', 'src/cli/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-member-access': 'off' },
  },
  { files: ['bin/*.js', 'eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/*.js'], languageOptions: { globals: globals.node } },
);
