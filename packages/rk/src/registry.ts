// The registry of named explicit RK methods.
import { ButcherTableau, type TableauSpec } from './tableau.js';

/**
 * Dormand–Prince 5(4) dense output (Hairer, Nørsett & Wanner, "Solving ODEs I", §II.6; routine
 * CONTD5 of DOPRI5): y(θ) = y0 + θΔ + θ(1−θ)(hk1 − Δ) + θ²(1−θ)(2Δ − hk1 − hk7) + θ²(1−θ)² h Σ d_i k_i,
 * with Δ = h Σ b_i k_i. Expanded here into per-stage polynomials b_i(θ) = Σ_k dense[i][k] θ^{k+1};
 * the result is a 4th-order continuous extension (tested against the continuous order conditions).
 */
function dopri5Dense(b: number[]): number[][] {
  const d = [
    -12715105075 / 11282082432,
    0,
    87487479700 / 32700410799,
    -10690763975 / 1880347072,
    701980252875 / 199316789632,
    -1453857185 / 822651844,
    69997945 / 29380423,
  ];
  return b.map((bi, i) => {
    const e = (i === 0 ? 1 : 0) - bi; // coefficient of θ(1−θ)
    const g = 2 * bi - (i === 0 ? 1 : 0) - (i === 6 ? 1 : 0); // coefficient of θ²(1−θ)
    const di = d[i];
    // θ(1−θ) = θ − θ²;  θ²(1−θ) = θ² − θ³;  θ²(1−θ)² = θ² − 2θ³ + θ⁴
    return [bi + e, -e + g + di, -g - 2 * di, di];
  });
}

const DOPRI5_B = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];

// Tsitouras (2011) 5(4) coefficients as published in decimals (the same values as OrdinaryDiffEq.jl
// and torchdiffeq); b is the last row of A (FSAL), b̂ = b − b̃ with the published error weights b̃.
const TSIT5_A = [
  [],
  [0.161],
  [-0.008480655492356989, 0.335480655492357],
  [2.897153057105493, -6.359448489975075, 4.3622954328695815],
  [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
  [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
  [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774],
];
const TSIT5_B = [...TSIT5_A[6], 0];
const TSIT5_BTILDE = [
  -0.0017800110522257714,
  -0.0008164344596567469,
  0.007880878010261995,
  -0.1447110071732629,
  0.5823571654525552,
  -0.45808210592918697,
  1 / 66,
];

/** Ascending coefficients of the product of polynomials (ascending coefficient arrays). */
function polyMul(...ps: number[][]): number[] {
  return ps.reduce(
    (acc, p) => {
      const out = new Array<number>(acc.length + p.length - 1).fill(0);
      acc.forEach((x, i) => {
        p.forEach((y, j) => {
          out[i + j] += x * y;
        });
      });
      return out;
    },
    [1],
  );
}

/**
 * Tsitouras (2011) continuous extension b_i(θ), published in factored form (as used by OrdinaryDiffEq.jl
 * and torchdiffeq); expanded to coefficients of θ^1..θ^4. A 4th-order interpolant (tested against the
 * continuous order conditions).
 */
function tsit5Dense(): number[][] {
  const th = [0, 1]; // θ
  const lin = (r: number) => [-r, 1]; // θ − r
  const quad = (p: number, q: number) => [q, p, 1]; // θ² + pθ + q
  const rows = [
    polyMul([-1.0530884977290216], th, lin(1.329989018975412), quad(-1.4364028541716352, 0.7139816917074209)),
    polyMul([0.1017], th, th, quad(-2.1966568338249752, 1.294985250737463)),
    polyMul([2.490627285651253], th, th, quad(-2.3853564547206165, 1.578034682080925)),
    polyMul([-16.548102889244902], lin(1.2171292729553325), lin(0.6162040603780009), th, th),
    polyMul([47.37952196281928], lin(1.2030712083723627), lin(0.6580472926535474), th, th),
    polyMul([-34.87065786149661], lin(1.2), lin(2 / 3), th, th),
    polyMul([2.5], lin(1), lin(0.6), th, th),
  ];
  return rows.map((r) => r.slice(1)); // constant terms are 0
}

const SPECS: TableauSpec[] = [
  {
    name: 'euler',
    a: [[]],
    b: [1],
    c: [0],
    order: 1,
    torchdiffeqName: 'euler',
    description: 'forward Euler, order 1',
  },
  {
    name: 'midpoint',
    a: [[], [1 / 2]],
    b: [0, 1],
    c: [0, 1 / 2],
    order: 2,
    torchdiffeqName: 'midpoint',
    description: 'explicit midpoint, order 2',
  },
  {
    name: 'heun',
    a: [[], [1]],
    b: [1 / 2, 1 / 2],
    c: [0, 1],
    order: 2,
    torchdiffeqName: 'heun2',
    description: "Heun's method (explicit trapezoidal), order 2",
  },
  {
    name: 'ralston',
    a: [[], [2 / 3]],
    b: [1 / 4, 3 / 4],
    c: [0, 2 / 3],
    order: 2,
    description: "Ralston's 2-stage method (minimal error bound), order 2",
  },
  {
    name: 'kutta3',
    a: [[], [1 / 2], [-1, 2]],
    b: [1 / 6, 2 / 3, 1 / 6],
    c: [0, 1 / 2, 1],
    order: 3,
    description: "Kutta's third-order method (the authors' rk3)",
  },
  {
    name: 'heun3',
    a: [[], [1 / 3], [0, 2 / 3]],
    b: [1 / 4, 0, 3 / 4],
    c: [0, 1 / 3, 2 / 3],
    order: 3,
    torchdiffeqName: 'heun3',
    description: "Heun's third-order method",
  },
  {
    name: 'ssprk3',
    a: [[], [1], [1 / 4, 1 / 4]],
    b: [1 / 6, 1 / 6, 2 / 3],
    c: [0, 1, 1 / 2],
    order: 3,
    description: 'strong-stability-preserving RK3 (Shu–Osher), order 3',
  },
  {
    name: 'rk4',
    a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
    b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
    c: [0, 1 / 2, 1 / 2, 1],
    order: 4,
    description: 'classic Runge–Kutta, order 4 (torchdiffeq "rk4" is the 3/8 rule: use rk38)',
  },
  {
    name: 'rk38',
    a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]],
    b: [1 / 8, 3 / 8, 3 / 8, 1 / 8],
    c: [0, 1 / 3, 2 / 3, 1],
    order: 4,
    torchdiffeqName: 'rk4',
    description: "Kutta's 3/8 rule, order 4 (torchdiffeq's and the SII authors' rk4)",
  },
  {
    name: 'adaptive_heun',
    a: [[], [1]],
    b: [1 / 2, 1 / 2],
    c: [0, 1],
    order: 2,
    bHat: [1, 0],
    embeddedOrder: 1,
    torchdiffeqName: 'adaptive_heun',
    description: 'Heun–Euler 2(1) embedded pair',
  },
  {
    name: 'bosh3',
    a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
    b: [2 / 9, 1 / 3, 4 / 9, 0],
    c: [0, 1 / 2, 3 / 4, 1],
    order: 3,
    bHat: [7 / 24, 1 / 4, 1 / 3, 1 / 8],
    embeddedOrder: 2,
    fsal: true,
    torchdiffeqName: 'bosh3',
    description: 'Bogacki–Shampine 3(2), FSAL',
  },
  {
    name: 'dopri5',
    a: [
      [],
      [1 / 5],
      [3 / 40, 9 / 40],
      [44 / 45, -56 / 15, 32 / 9],
      [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
      [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
      [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
    ],
    b: DOPRI5_B,
    c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
    order: 5,
    bHat: [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40],
    embeddedOrder: 4,
    fsal: true,
    dense: dopri5Dense(DOPRI5_B),
    torchdiffeqName: 'dopri5',
    description: 'Dormand–Prince 5(4), FSAL, 4th-order dense output',
  },
  {
    name: 'tsit5',
    a: TSIT5_A,
    b: TSIT5_B,
    c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
    order: 5,
    bHat: TSIT5_B.map((x, i) => x - TSIT5_BTILDE[i]),
    embeddedOrder: 4,
    fsal: true,
    dense: tsit5Dense(),
    torchdiffeqName: 'tsit5',
    // the double-rounded published decimals satisfy all 17 + 8 conditions to ~2e-15 (scaled), so the
    // default tolerance 1e-12 applies
    description: 'Tsitouras 5(4), FSAL, 4th-order dense output',
  },
];

const REGISTRY = new Map<string, ButcherTableau>(SPECS.map((s) => [s.name, new ButcherTableau(s)]));

/** Names of the registered methods, in registry order. */
export function tableauNames(): string[] {
  return [...REGISTRY.keys()];
}

/** A registered tableau by name; an unknown name throws listing the known names. */
export function getTableau(name: string): ButcherTableau {
  const t = typeof name === 'string' ? REGISTRY.get(name) : undefined;
  if (!t) throw new RangeError(`getTableau: unknown method ${JSON.stringify(name)}; known: ${tableauNames().join(', ')}`);
  return t;
}

/** torchdiffeq method name → registered name, read off the specs' `torchdiffeqName` fields. */
const TORCHDIFFEQ: Record<string, string> = Object.fromEntries(
  SPECS.filter((spec) => spec.torchdiffeqName !== undefined).map((spec) => [spec.torchdiffeqName, spec.name]),
);

/**
 * The tableau torchdiffeq uses under `name` ('rk4' is the 3/8 rule → rk38, 'heun2' → heun, …).
 * Multistep, implicit and other solvers (explicit_adams, implicit_adams, fixed_adams, dopri8,
 * fehlberg2, scipy_solver, implicit_*, gl*, radauIIA*, sdirk2, trbdf2, …) are not supported.
 */
export function fromTorchdiffeq(name: string): ButcherTableau {
  const ours = typeof name === 'string' && Object.hasOwn(TORCHDIFFEQ, name) ? TORCHDIFFEQ[name] : undefined;
  if (ours === undefined) {
    throw new RangeError(
      `fromTorchdiffeq: unsupported torchdiffeq method ${JSON.stringify(name)}; supported: ${Object.keys(TORCHDIFFEQ).join(', ')}`,
    );
  }
  return getTableau(ours);
}

/** The torchdiffeq → @sii/rk name mapping (for documentation and CLIs). */
export function torchdiffeqMapping(): Record<string, string> {
  return { ...TORCHDIFFEQ };
}
