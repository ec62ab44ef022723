// ESLint for the whole repository: typescript-eslint's type-aware recommended rules on TypeScript (floating and
// misused promises, unsafe any), ESLint's recommended rules on the JavaScript scripts. Formatting is Prettier's job.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'bench/results/**', 'test/e2e/artifacts/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // Each file is checked with the nearest tsconfig.json (packages/*, test/e2e, test/reliability).
      // vitest.config.ts and the declarations of bench/lib's scripts are in no tsconfig: the default project covers them.
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts', 'bench/lib/*.d.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring a field away, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // `void promise` marks a promise whose outcome is handled elsewhere (an error listener, a catch inside it).
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Off: an `async` method that does not await still turns a throw into a rejection, which is what an implementation of an
      // async interface (storage back ends, ledgers, repositories) must do; the promise rules above catch the real mistakes.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests keep the promise rules but not the no-unsafe-* family (nor require-await): their `any` comes from res.json(), JSON.parse and
    // page.evaluate, and the assertions on those values check their shape at run time (2,300 of 2,500 reports were that). For the
    // same reason a test may say so (`received: any[]`, `window as any` in page.evaluate): no-explicit-any is that family's other half.
    files: ['**/*.test.ts', '**/*.test.tsx', '**/test-support/**', 'test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stubs implement async interfaces (fetch, token sources, clients): `async () => value` is the plain way to.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // A migration runs against the schema of its own time, not today's Database type: `Kysely<any>` is what Kysely's migration
    // guide types it with.
    files: ['packages/server/src/db/migrations/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.jsx', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { ...globals.node },
    },
  },
  {
    // Scripts that run in a browser page (bench/room.js: the functions it hands to page.evaluate).
    files: ['bench/room.js', 'examples/react/src/**', 'test/e2e/support/real-jitsi/iframe-page.js', 'test/e2e/support/stand-in-jitsi/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
