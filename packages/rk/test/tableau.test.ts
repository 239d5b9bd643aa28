import { describe, expect, it } from 'vitest';
import {
  achievedOrder,
  ButcherTableau,
  fromTorchdiffeq,
  getTableau,
  stageVector,
  type TableauSpec,
  tableauNames,
  torchdiffeqMapping,
  treesOfOrder,
  treesUpToOrder,
} from '../src/index.js';

const EXPECTED = {
  euler: [1, 1],
  midpoint: [2, 2],
  heun: [2, 2],
  ralston: [2, 2],
  kutta3: [3, 3],
  heun3: [3, 3],
  ssprk3: [3, 3],
  rk4: [4, 4],
  rk38: [4, 4],
  adaptive_heun: [2, 2],
  bosh3: [4, 3],
  dopri5: [7, 5],
  tsit5: [7, 5],
} as const; // [stages, order]

describe('rooted trees', () => {
  it('counts trees of each order as A000081 (1, 1, 2, 4, 9, 20) and 1, 2, 4, 8, 17, 37 cumulatively', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => treesOfOrder(n).length)).toEqual([1, 1, 2, 4, 9, 20]);
    expect([1, 2, 3, 4, 5, 6].map((n) => treesUpToOrder(n).length)).toEqual([1, 2, 4, 8, 17, 37]);
  });

  it('has the densities γ of the order-3 and order-4 trees', () => {
    // order 3 trees: [•,•] with γ = 3 and [[•]] with γ = 6
    expect(
      treesOfOrder(3)
        .map((t) => t.density)
        .sort((x, y) => x - y),
    ).toEqual([3, 6]);
    expect(
      treesOfOrder(4)
        .map((t) => t.density)
        .sort((x, y) => x - y),
    ).toEqual([4, 8, 12, 24]);
  });
});

describe('registry', () => {
  it('lists exactly the contract names', () => {
    expect(tableauNames()).toEqual(Object.keys(EXPECTED));
  });

  it.each(Object.entries(EXPECTED))('%s has the expected stages and achieves exactly its declared order', (name, [s, p]) => {
    const t = getTableau(name);
    expect(t.stages).toBe(s);
    expect(t.order).toBe(p);
    expect(t.a).toHaveLength(s);
    // independent of the validator's declared order: the method fails the order p+1 conditions
    expect(achievedOrder(t.a, t.b, 6, 1e-10)).toBe(p);
    for (let i = 0; i < s; i++) {
      for (let j = i; j < s; j++) expect(t.a[i][j]).toBe(0);
    }
  });

  it('embedded pairs achieve exactly their embedded order and are FSAL where declared', () => {
    const pairs = { adaptive_heun: [1, false], bosh3: [2, true], dopri5: [4, true], tsit5: [4, true] } as const;
    for (const [name, [q, fsal]] of Object.entries(pairs)) {
      const t = getTableau(name);
      expect(t.adaptive).toBe(true);
      expect(t.embeddedOrder).toBe(q);
      expect(t.fsal).toBe(fsal);
      expect(achievedOrder(t.a, t.bHat!, 6, 1e-10)).toBe(q);
    }
    expect(getTableau('rk4').adaptive).toBe(false);
  });

  it('unknown names list the known ones', () => {
    expect(() => getTableau('rk5')).toThrow(/unknown method "rk5".*euler.*tsit5/);
  });

  it('maps torchdiffeq names: its rk4 is the 3/8 rule', () => {
    expect(fromTorchdiffeq('rk4').name).toBe('rk38');
    expect(fromTorchdiffeq('rk4').b).toEqual([1 / 8, 3 / 8, 3 / 8, 1 / 8]);
    expect(fromTorchdiffeq('heun2').name).toBe('heun');
    expect(fromTorchdiffeq('dopri5').name).toBe('dopri5');
    expect(torchdiffeqMapping().midpoint).toBe('midpoint');
    expect(() => fromTorchdiffeq('explicit_adams')).toThrow(/unsupported torchdiffeq method "explicit_adams"/);
    expect(() => fromTorchdiffeq('toString')).toThrow(/unsupported/);
  });

  it.each(['dopri5', 'tsit5'])('%s dense output is a 4th-order continuous extension (and not 5th)', (name) => {
    const t = getTableau(name);
    const dense = t.dense!;
    const weights = (theta: number) => dense.map((row) => row.reduce((acc, d, k) => acc + d * theta ** (k + 1), 0));
    for (const theta of [0.1, 0.3, 0.5, 0.77, 1]) {
      const w = weights(theta);
      // Σ b_i(θ) Ψ_i(t) = θ^{|t|}/γ(t) for all trees with |t| ≤ 4 (Hairer–Nørsett–Wanner I, §II.6)
      for (const tree of treesUpToOrder(4)) {
        const psi = stageVector(tree, t.a);
        const phi = w.reduce((acc, wi, i) => acc + wi * psi[i], 0);
        expect(Math.abs(phi - theta ** tree.order / tree.density)).toBeLessThan(1e-12);
      }
    }
    // at an interior θ some order-5 condition fails
    const w = weights(0.5);
    const worst = Math.max(
      ...treesOfOrder(5).map((tree) => {
        const psi = stageVector(tree, t.a);
        return Math.abs(w.reduce((acc, wi, i) => acc + wi * psi[i], 0) - 0.5 ** 5 / tree.density);
      }),
    );
    expect(worst).toBeGreaterThan(1e-6);
  });

  it('tsit5 published decimals pass the default tolerance 1e-12; a 1e-7 perturbation fails', () => {
    const spec = getTableau('tsit5').toSpec();
    expect(spec.tolerance).toBe(1e-12);
    const bad = { ...spec, b: [...spec.b] };
    bad.b[2] += 1e-7;
    bad.b[3] -= 1e-7; // keep Σ b = 1
    bad.fsal = false;
    expect(() => new ButcherTableau(bad)).toThrow(/order condition Σ b_i c_i = 1\/2 fails/);
  });
});

describe('validation errors name the failed condition', () => {
  const midpoint: TableauSpec = { name: 'm', a: [[], [0.5]], b: [0, 1], c: [0, 0.5], order: 2 };

  it('order condition Σ b_i c_i = 1/2', () => {
    expect(() => new ButcherTableau({ ...midpoint, b: [0.1, 0.9] })).toThrow(
      'tableau "m": order condition Σ b_i c_i = 1/2 fails: got 0.450000000000',
    );
  });

  it('third-order condition Σ b_i a_ij c_j = 1/6 (c and Σ b c still fine)', () => {
    // Kutta's RK3 with a_32 changed and a_31 adjusted to keep c_3 = 1: Σ b_i c_i² = 1/3 still holds
    const spec: TableauSpec = { name: 'k3', a: [[], [0.5], [-0.5, 1.5]], b: [1 / 6, 2 / 3, 1 / 6], c: [0, 0.5, 1], order: 3 };
    expect(() => new ButcherTableau(spec)).toThrow(/order condition Σ b_i a_ij c_j = 1\/6 fails: got 0\.125/);
  });

  it('fourth-order conditions of a perturbed RK4', () => {
    const rk4 = getTableau('rk4').toSpec();
    const a = rk4.a.map((r) => [...r]);
    // row 4 = [0, 0.1, 0.9]: c_4 = 1 and a_42 + a_43 = 1 keep every condition up to order 3 and three of
    // the four order-4 ones (c_2 = c_3); only Σ b_i a_ij a_jk c_k = 1/24 changes (1/24 → 0.9/24)
    a[3] = [0, 0.1, 0.9, 0];
    expect(() => new ButcherTableau({ ...rk4, name: 'bad4', a })).toThrow(
      /tableau "bad4": order condition Σ b_i a_ij a_jk c_k = 1\/24 fails: got 0\.0375/,
    );
  });

  it('row sums, consistency, explicitness, FSAL, embedded weights, dense output', () => {
    expect(() => new ButcherTableau({ ...midpoint, c: [0, 0.4] })).toThrow(/row-sum condition c_2 = Σ_j a_2j fails/);
    expect(() => new ButcherTableau({ ...midpoint, b: [0.5, 0.6] })).toThrow(/consistency condition Σ b_i = 1 fails: got 1\.1/);
    expect(() => new ButcherTableau({ ...midpoint, a: [[0.1], [0.5]], c: [0.1, 0.5] })).toThrow(/not explicit: a\[0\]\[0\] = 0\.1/);
    expect(() => new ButcherTableau({ ...midpoint, fsal: true })).toThrow(/FSAL requires the last row of A to equal b/);
    expect(() => new ButcherTableau({ ...midpoint, bHat: [0.5, 0.5], embeddedOrder: 2 })).toThrow(
      /embedded order condition Σ b_i c_i = 1\/2 fails: got 0\.25/,
    );
    expect(() => new ButcherTableau({ ...midpoint, bHat: [1, 0] })).toThrow(/embeddedOrder must be an integer/);
    expect(() => new ButcherTableau({ ...midpoint, dense: [[0.5], [0.4]] })).toThrow(/dense output must reproduce b at θ = 1: b_1\(1\)/);
    expect(() => new ButcherTableau({ ...midpoint, b: [0, Number.NaN] })).toThrow(/b\[1\] must be a finite number, got NaN/);
    expect(() => new ButcherTableau({ ...midpoint, order: 0 })).toThrow(/order must be an integer ≥ 1, got 0/);
  });

  it('accepts a valid custom tableau and freezes its coefficients', () => {
    const t = new ButcherTableau(midpoint);
    expect(t.a).toEqual([
      [0, 0],
      [0.5, 0],
    ]);
    expect(Object.isFrozen(t.b)).toBe(true);
    expect(t.adaptive).toBe(false);
  });
});

describe('tableau size limit', () => {
  it('a spec with more than MAX_STAGES stages is refused before any order check', async () => {
    const { ButcherTableau, MAX_STAGES } = await import('../src/index.js');
    const s = 12_000;
    // Rows of an explicit method with c_i = 0 (rows of zeros) and b = e_1: valid apart from its size.
    const a = Array.from({ length: s }, () => [] as number[]);
    const b = Array.from({ length: s }, (_, i) => (i === 0 ? 1 : 0));
    const c = new Array<number>(s).fill(0);
    expect(() => new ButcherTableau({ name: 'huge', a, b, c, order: 1 })).toThrow(
      new RegExp(`tableau "huge": 12000 stages exceed the limit of ${MAX_STAGES}`),
    );
    // At the limit it is accepted (Euler padded with zero stages).
    const k = MAX_STAGES;
    const ok = new ButcherTableau({ name: 'padded', a: Array.from({ length: k }, () => []), b: b.slice(0, k), c: c.slice(0, k), order: 1 });
    expect(ok.stages).toBe(k);
  });
});

describe('tableau spec field types (found by fuzzing)', () => {
  it('tolerance, fsal, description and torchdiffeqName must have their types; odd values are shown, not coerced', async () => {
    const { ButcherTableau } = await import('../src/index.js');
    const euler = { name: 'e', a: [[]], b: [1], c: [0], order: 1 };
    // a one-element array compared as a number used to pass and be stored as the tolerance
    expect(() => new ButcherTableau({ ...euler, tolerance: [0.5] as unknown as number })).toThrow(
      'tableau "e": tolerance must be a number in (0, 1), got [0.5]',
    );
    expect(() => new ButcherTableau({ ...euler, fsal: 'yes' as unknown as boolean })).toThrow(
      'tableau "e": fsal must be a boolean, got "yes"',
    );
    expect(() => new ButcherTableau({ ...euler, description: 3 as unknown as string })).toThrow(
      'tableau "e": description must be a string, got 3',
    );
    expect(() => new ButcherTableau({ ...euler, torchdiffeqName: {} as unknown as string })).toThrow(
      'tableau "e": torchdiffeqName must be a string, got {}',
    );
    // an object String() cannot convert used to raise "Cannot convert object to primitive value"
    expect(() => new ButcherTableau({ ...euler, b: [{ toString: 1 }] as unknown as number[] })).toThrow(
      'tableau "e": b[0] must be a finite number, got {"toString":1}',
    );
    expect(() => new ButcherTableau({ ...euler, b: [Number.NaN] })).toThrow('tableau "e": b[0] must be a finite number, got NaN');
    // long values are cut in the message
    const long = Array.from({ length: 500 }, () => 1);
    expect(() => new ButcherTableau({ ...euler, a: [long] })).toThrow(
      /a\[0\] must be an array of at most 1 numbers, got \[1, 1, 1, 1, 1, 1, …\]$/,
    );
    expect(new ButcherTableau({ ...euler, fsal: false, description: 'Euler', tolerance: 1e-9 }).description).toBe('Euler');
  });
});
