// Type-aware lint (typescript-eslint), run by `pnpm lint:types` (see CONTRIBUTING.md). Biome
// (`pnpm lint`, `pnpm format`) does the syntax-only linting and the formatting; this config holds only
// rules that need the type checker. Each file is checked against its package's tsconfig.json.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const upstream = tseslint.plugin.rules['no-unnecessary-type-assertion'];

/**
 * typescript-eslint's no-unnecessary-type-assertion without its `contextuallyInferredTypeArguments`
 * report: that one flags tfjs's `tf.reshape(x, s) as Tensor2D`, where the assertion is what infers the
 * rank (removing it changes the type), and asks for `tf.reshape<Rank.R2>(…)` instead, a style choice
 * this project does not make. Every report that is a truly unnecessary `!` or `as` is kept, with its fix.
 */
const noUnnecessaryTypeAssertion = {
  meta: upstream.meta,
  defaultOptions: upstream.defaultOptions,
  create(context) {
    const report = (descriptor) => {
      if (descriptor.messageId !== 'contextuallyInferredTypeArguments') context.report(descriptor);
    };
    // the rule context is a frozen object: a child object shadows its `report`
    const filtered = Object.freeze(Object.create(context, { report: { value: report } }));
    return upstream.create(filtered);
  },
};

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
      // `x[i]!` is a no-op while noUncheckedIndexedAccess is off; `--fix` removes it.
      'sii/no-unnecessary-type-assertion': 'error',
    },
  },
);
