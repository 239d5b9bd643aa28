/** The PyTorch CPU peer (torch_step.py), run in a child process when its environment is set up. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PeerResult {
  impl: string;
  config: string;
  threads: number;
  medianMs: number;
  minMs: number;
  iters: number;
}

export interface PeerLocation {
  env: string;
  script: string;
}

/** shared/peers/torch_step.py beside the repository (this file is apps/bench/{src,dist}/peer.*). */
const DEFAULT_PEER_SCRIPT = fileURLToPath(new URL('../../../../shared/peers/torch_step.py', import.meta.url));
/** The peer of the model rows, in this package: apps/bench/peers/torch_models.py. */
const DEFAULT_MODELS_SCRIPT = fileURLToPath(new URL('../peers/torch_models.py', import.meta.url));

/** $SII_TORCH_ENV or ~/.cache/sii-peers/torch/env.sh; $SII_TORCH_STEP or shared/peers/torch_step.py beside the repository. */
export function findPeer(): PeerLocation | null {
  const env = process.env.SII_TORCH_ENV ?? `${process.env.HOME ?? '/root'}/.cache/sii-peers/torch/env.sh`;
  const script = process.env.SII_TORCH_STEP ?? DEFAULT_PEER_SCRIPT;
  return existsSync(env) && existsSync(script) ? { env, script } : null;
}

/** The model rows' peer: the same environment; $SII_TORCH_MODELS or this package's peers/torch_models.py. */
export function findModelPeer(): PeerLocation | null {
  const env = process.env.SII_TORCH_ENV ?? `${process.env.HOME ?? '/root'}/.cache/sii-peers/torch/env.sh`;
  const script = process.env.SII_TORCH_MODELS ?? DEFAULT_MODELS_SCRIPT;
  return existsSync(env) && existsSync(script) ? { env, script } : null;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run the peer for one configuration (single thread); null with a message on failure. `spec` (model
 * rows) is passed as --spec JSON: the sizes the peer builds its model with.
 */
export function runPeer(
  loc: PeerLocation,
  config: string,
  iters: number,
  warmup: number,
  spec?: Record<string, unknown>,
): { result: PeerResult | null; error?: string } {
  const specArg = spec ? ` --spec ${quote(JSON.stringify(spec))}` : '';
  const cmd = `source ${quote(loc.env)} && python3.11 ${quote(loc.script)} --config ${config}${specArg} --threads 1 --iters ${iters} --warmup ${warmup}`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30 * 60 * 1000 });
  if (r.status !== 0)
    return { result: null, error: `peer exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  const line = r.stdout
    .trim()
    .split('\n')
    .find((l) => l.startsWith('{'));
  if (line == null) return { result: null, error: `peer printed no JSON: ${r.stdout.slice(0, 200)}` };
  return { result: JSON.parse(line) as PeerResult };
}
