/** Shapes of the teacher–student sweep's configuration, tasks and results (JSON-serialisable). */

export type InitName = 'sii' | 'baseline';
export const INIT_NAMES: readonly InitName[] = ['sii', 'baseline'];
export type Setting = 'incl' | 'excl';

/**
 * What a window's loss compares. 'aligned' (default): from x_0, w−1 steps with u_0..u_{w−2} give
 * x̂_1..x̂_{w−1}, compared with x_1..x_{w−1}, over every window; validation = the MSE over all windows.
 * 'authors': the paper's code (base_ts.py): w steps with u_0..u_{w−1} give x̂_1..x̂_w, compared with
 * x_0..x_{w−1} (off by one), over window starts 0..T−w−1 (one window fewer); validation = the mean of
 * the MSEs of consecutive batches of `batch` windows.
 */
export type StudentTarget = 'aligned' | 'authors';
export const STUDENT_TARGETS: readonly StudentTarget[] = ['aligned', 'authors'];
/**
 * 'paired' (default): both arms of a teacher index train on one teacher with one batch order.
 * 'authors': as the paper's train.py, which builds the student before the data: each arm gets its own
 * teacher poles, y0 and input noise (shared factors and biases) and its own batch order.
 */
export type StudentPairing = 'paired' | 'authors';
export const STUDENT_PAIRINGS: readonly StudentPairing[] = ['paired', 'authors'];

/** The protocol of a configuration (run folders written before these options existed: aligned, paired). */
export function studentProtocol(c: Pick<StudentConfig, 'setting' | 'target' | 'pairing'>): {
  target: StudentTarget;
  pairing: StudentPairing;
} {
  return { target: c.target ?? 'aligned', pairing: c.pairing ?? 'paired' };
}

export interface StudentConfig {
  setting: Setting;
  /** Student MLP (METHOD.md §7: incl H 128, L 3; excl H 32, L 2). */
  hidden: number;
  layers: number;
  activation: string;
  solver: string;
  h: number;
  /** SII margin of the student (−0.01) and complex poles (true). */
  eps: number;
  complex: boolean;
  window: number;
  batch: number;
  lr: number;
  clip: number;
  epochs: number;
  /** Samples per teacher trajectory (300). */
  samples: number;
  /** Diverged when a loss is not finite or exceeds this factor times the initial validation loss. */
  divergeFactor: number;
  backend: 'wasm' | 'cpu';
  /** Loss target (default 'aligned'); see StudentTarget. */
  target?: StudentTarget;
  /** Teachers of the two arms (default 'paired'); see StudentPairing. */
  pairing?: StudentPairing;
}

export interface StudentTask {
  /** Index of the teacher in the sweep and the seed its data is generated from. */
  teacher: number;
  teacherSeed: string;
  init: InitName;
  /** Seed of the student: batch order (shared by the inits of a teacher) and init (forked by init name). */
  studentSeed: string;
  config: StudentConfig;
}

/** One teacher: its data are generated once, then one student per init is trained in turn. */
export interface TeacherTask {
  kind: 'teacher';
  teacher: number;
  teacherSeed: string;
  studentSeed: string;
  inits: InitName[];
  config: StudentConfig;
}

export interface Divergence {
  epoch: number;
  reason: string;
}

export interface InitRun {
  init: InitName;
  /** Validation MSE before training. */
  initialValLoss: number;
  /** Validation MSE after epochs 1..E (shorter if diverged). */
  valCurve: number[];
  /** Mean training MSE over the batches of epochs 1..E. */
  trainCurve: number[];
  /** Minimum validation MSE over epochs 1..E (Infinity if none is finite). */
  minValLoss: number;
  minEpoch: number;
  /** Eigenvalues λ of ∂f/∂x at x = 0, u = 0 after epochs 0..E, as [re, im] pairs. */
  poles: [number, number][][];
  diverged: Divergence | null;
  /** Error message if training threw (the run is then also marked diverged). */
  error?: string;
  epochsRun: number;
  wallMs: number;
}

/** The record of a run before its first epoch. */
export function emptyInitRun(init: InitName): InitRun {
  return {
    init,
    initialValLoss: Number.NaN,
    valCurve: [],
    trainCurve: [],
    minValLoss: Number.POSITIVE_INFINITY,
    minEpoch: -1,
    poles: [],
    diverged: null,
    epochsRun: 0,
    wallMs: 0,
  };
}

export interface TeacherResult {
  teacher: number;
  teacherSeed: string;
  setting: Setting;
  /** Teacher poles λ at the origin as [re, im] (with pairing 'authors': the first init's teacher). */
  teacherPoles: [number, number][];
  /** With pairing 'authors': each arm's teacher poles. */
  armTeacherPoles?: Partial<Record<InitName, [number, number][]>>;
  runs: Partial<Record<InitName, InitRun>>;
}

/** Messages a worker posts while running a task. */
export type WorkerMessage =
  | { type: 'ready'; backend: string }
  | { type: 'epoch'; epoch: number; valLoss: number; trainLoss: number }
  | { type: 'checkpoint'; checkpoint: unknown }
  | { type: 'done'; result: unknown; extra?: unknown }
  | { type: 'error'; message: string };
