/** Command-line options of `pnpm bench`. */
import { CONFIGS } from './configs.js';
import { MODEL_CONFIGS } from './model-configs.js';
import { BASE_PATHS, type BackendName, type BasePath } from './sii.js';

export interface BenchArgs {
  configs: string[];
  iters: number | null;
  warmup: number | null;
  backends: BackendName[];
  paths: BasePath[];
  peer: boolean;
  /** Iterations on the cpu backend (much slower). */
  cpuIters: number;
  out: string | null;
  /** Replicas of the data-parallel row (`fast×N`, DataParallelTrainer); 1: no such row. */
  parallel: number;
  /** Configurations that get the fast×N row (default: all). */
  parallelConfigs: string[];
  help: boolean;
}

export const USAGE = `pnpm bench [-- options]
  --configs LIST                configurations of student, pixel, rk4 (MLP fields) and forecast, latent (the
                                paper's models as the experiments train them: wasm, fast path only) (default all)
  --iters N                     timed steps per configuration (default: student 200, rk4 100, pixel 8, forecast 10, latent 10)
  --warmup N                    untimed steps first (default: student 30, rk4 30, pixel 3, forecast 3, latent 3)
  --backends wasm,cpu           backends (default wasm,cpu; cpu runs --cpu-iters steps of the fast path only)
  --paths LIST                  of fast (default engine: auto), fast-simd, fast-tfjs (engine forced),
                                plain (per-op autodiff); default fast,fast-simd,fast-tfjs,plain
  --cpu-iters N                 timed steps on cpu (default 3)
  --no-peer                     skip the PyTorch peer
  --out DIR                     results folder (default apps/bench/results)
  --parallel N                  also run a row fast×N on wasm: the fast path on N threads (this one + N−1
                                workers; SIMD engine: each rollout split by rows; tfjs engine: data-
                                parallel replicas, DataParallelTrainer) (default 1: off)
  --parallel-configs LIST       configurations of the fast×N row (default all)`;

function list<T extends string>(v: string, allowed: readonly string[], name: string): T[] {
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const it of items) {
    if (!allowed.includes(it)) throw new RangeError(`${name}: unknown value ${JSON.stringify(it)}; known: ${allowed.join(', ')}`);
  }
  if (items.length === 0) throw new RangeError(`${name}: empty list`);
  return items as T[];
}

function int(v: string | undefined, name: string, min: number): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return x;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = {
    configs: [...Object.keys(CONFIGS), ...Object.keys(MODEL_CONFIGS)],
    iters: null,
    warmup: null,
    backends: ['wasm', 'cpu'],
    paths: [...BASE_PATHS],
    peer: true,
    cpuIters: 3,
    out: null,
    parallel: 1,
    parallelConfigs: Object.keys(CONFIGS),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (key) {
      case '--':
        break;
      case '--configs':
        a.configs = list(value() ?? '', [...Object.keys(CONFIGS), ...Object.keys(MODEL_CONFIGS)], '--configs');
        break;
      case '--iters':
        a.iters = int(value(), '--iters', 1);
        break;
      case '--warmup':
        a.warmup = int(value(), '--warmup', 0);
        break;
      case '--cpu-iters':
        a.cpuIters = int(value(), '--cpu-iters', 1);
        break;
      case '--backends':
        a.backends = list(value() ?? '', ['wasm', 'cpu'], '--backends');
        break;
      case '--paths':
        a.paths = list(value() ?? '', BASE_PATHS, '--paths');
        break;
      case '--parallel':
        a.parallel = int(value(), '--parallel', 1);
        break;
      case '--parallel-configs':
        a.parallelConfigs = list(value() ?? '', Object.keys(CONFIGS), '--parallel-configs');
        break;
      case '--no-peer':
        a.peer = false;
        break;
      case '--out':
        a.out = value() ?? null;
        break;
      case '--help':
      case '-h':
        a.help = true;
        break;
      default:
        throw new RangeError(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    }
  }
  return a;
}
