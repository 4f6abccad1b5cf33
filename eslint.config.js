import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'helper/native/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain scripts (the test runner, this file) run on Node without type information.
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The renderer has no Node and must not reach into the helper or the main
    // process: it sees the WireflyApi contract and the pure config and ip modules only.
    files: ['renderer/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(node:|(${builtinModules.join('|')})(/|$))`,
              message: 'The renderer runs without Node; talk to WireflyApi instead.',
            },
            {
              regex: '(^|/)helper/(?!src/config/|src/net/ip\\.js$)',
              allowTypeImports: true,
              message:
                'Only the pure helper/src/config and helper/src/net/ip modules may be imported at run time by the renderer.',
            },
            {
              regex: '(^|/)app/(?!src/api/)',
              allowTypeImports: true,
              message: 'The renderer reaches the main process only through app/src/api.',
            },
          ],
        },
      ],
    },
  },
);
