// Runs a package's README example under plain node against its built dist/ (the preset's global setup
// builds dist/ when it is missing or stale). The example is TypeScript (examples/*.ts, type-checked by
// tooling/release); its types are stripped here.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * The README's first ```ts block, run under plain node from the package directory (so the package
 * name resolves to itself through its "exports"), with what it printed. `asFile` runs it from a
 * temporary file in test/ instead of `node -e`.
 */
export function runReadmeExample(pkgDir, { asFile = false } = {}) {
  if (!existsSync(join(pkgDir, 'dist', 'index.js'))) throw new Error(`${pkgDir}: no dist/index.js, run \`pnpm build\` first`);
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error(`${join(pkgDir, 'README.md')}: no \`\`\`ts block`);
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  if (!asFile) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: pkgDir, encoding: 'utf8' });
    return { readme, code, out };
  }
  const file = join(pkgDir, 'test', '.readme-example.mjs');
  writeFileSync(file, js);
  try {
    return { readme, code, out: execFileSync(process.execPath, [file], { cwd: pkgDir, encoding: 'utf8' }) };
  } finally {
    rmSync(file, { force: true });
  }
}
