// Type-aware lint (typescript-eslint), run by `pnpm lint:types` (see CONTRIBUTING.md). Biome
// (`pnpm lint`, `pnpm format`) does the syntax-only linting and the formatting; this config holds only
// rules that need the type checker. Each file is checked against its package's tsconfig.json.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { noUnnecessaryTypeAssertion } from './tooling/lint/no-unnecessary-type-assertion.mjs';

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', '**/*.d.mts'] },
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'apps/*/src/**/*.ts', 'apps/*/test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { sii: { rules: { 'no-unnecessary-type-assertion': noUnnecessaryTypeAssertion } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `x[i]!` is a no-op while noUncheckedIndexedAccess is off; `--fix` removes it (see the rule's module).
      'sii/no-unnecessary-type-assertion': 'error',
    },
  },
);
