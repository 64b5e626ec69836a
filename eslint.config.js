// ESLint for hearthd: src/, test/, bench/, web/src/, scripts/ (and the config files at the root).
//
// typescript-eslint's *recommended* rules, without type information. typescript-eslint parses
// through the classic TypeScript compiler API, which TypeScript 7 (the `tsc` that builds the
// project, installed as `@typescript/native`) does not ship; `typescript` in package.json is
// TypeScript 6.0's API (`@typescript/typescript6`), installed side by side for tools. The
// type-aware presets (recommendedTypeChecked) would type-check with 6.0, not with the compiler
// that builds the project, so they are left out until typescript-eslint supports TypeScript 7.
//
// Formatting is Prettier's job: eslint-config-prettier (last) turns off every rule it would fight.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'test-artifacts/', 'coverage/']),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    name: 'hearth/all',
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `any` only where it says why (JSON at the edges), with a disable comment that says so.
      '@typescript-eslint/no-explicit-any': 'error',
      // Unused names are errors, except those that say so with a leading underscore.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  // The daemon, the CLI, tests, benchmarks and build scripts run on Node.
  {
    name: 'hearth/node',
    files: ['src/**', 'test/**', 'bench/**', 'scripts/**', 'bin/**', '*.js', '*.cjs', '*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },

  // Tests and benchmarks read JSON answers as they come: `any` there is the point.
  {
    name: 'hearth/tests',
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // The console runs in the browser (Vite builds it; web/tsconfig.json type-checks it).
  {
    name: 'hearth/web',
    files: ['web/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    name: 'hearth/web-config',
    files: ['web/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },

  // CommonJS config files (.dependency-cruiser.cjs).
  {
    name: 'hearth/commonjs',
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  prettier,
);
