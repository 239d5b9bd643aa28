#!/usr/bin/env node
// Tarball size, install size and installed package count of each released package, each installed alone
// (with npm, as a user would; npm installs required peers, not optional ones) into a fresh project from a
// throw-away local registry. Run after `pnpm build`:  node tooling/release/scripts/sizes.mjs
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createConsumer, folderBytes, installedPackages } from './consumer.mjs';
import { startRegistry } from './registry.mjs';
import { releaseLocal } from './release-local.mjs';

const registry = await startRegistry();
try {
  const { dir, packages } = releaseLocal({ registry });
  const rows = [];
  for (const p of packages) {
    const meta = await (await fetch(`${registry.url}/${p.name.replace('/', '%2f')}`)).json();
    const dist = meta.versions[p.version].dist;
    const tarball = (await (await fetch(dist.tarball)).arrayBuffer()).byteLength;
    const consumer = createConsumer('size', registry, [`${p.name}@${p.version}`]);
    const installed = installedPackages(consumer);
    const bytes = folderBytes(join(consumer, 'node_modules'));
    rows.push({
      package: `${p.name}@${p.version}`,
      'tarball kB': (tarball / 1e3).toFixed(1),
      'installed MB': (bytes / 1e6).toFixed(2),
      'dependencies installed': installed.length - 1, // all of node_modules but the package itself
      'direct deps': Object.keys(meta.versions[p.version].dependencies ?? {}).length,
      peers: Object.keys(meta.versions[p.version].peerDependencies ?? {}).join(' ') || '—',
    });
    rmSync(consumer, { recursive: true, force: true });
  }
  console.table(rows);
  rmSync(dir, { recursive: true, force: true });
} finally {
  await registry.stop();
}
