// ESLint for every package: typescript-eslint's recommended rules (not type-checked, so it stays
// fast), and the package boundaries: no import cycle between files, no deep import into another
// package (siblings only through their entry points: `@deliveryline/<pkg>` or `/testing`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/shared/migrations/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    files: ['packages/**/*.ts', 'bench/**/*.ts'],
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json', 'bench/tsconfig.json'], noWarnOnMultipleProjects: true }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@deliveryline/*/src', '@deliveryline/*/src/**'],
              message: 'import another package through its entry point (@deliveryline/<pkg> or @deliveryline/<pkg>/testing)',
            },
            {
              group: ['../../*/src/**', '../../../*/src/**', '../../../../*/src/**', '../packages/*/src/**'],
              message: 'import another package through its entry point, not by a relative path into its src',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // the code narrows unknown values at its edges; `any` is left where a library types it so
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // NUL and other control bytes are matched on purpose: COPY cannot store NUL, files carry them
      'no-control-regex': 'off',
      // Japanese text in templates uses the ideographic space (U+3000) on purpose
      'no-irregular-whitespace': ['error', { skipTemplates: true, skipStrings: true }],
    },
  },
  prettier,
);
