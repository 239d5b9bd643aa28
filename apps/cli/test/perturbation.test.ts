import { cabs, complex, transpose, matvec } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { amplitudeRatio, PERTURBATION_DEFAULTS, simulatePerturbation } from '../src/commands/perturbation.js';

const config = { ...PERTURBATION_DEFAULTS, seed: 0 };

describe('perturbation system (paper Figure 1)', () => {
  it('places the complex pair outside the Euler disk and inside the RK4 region', () => {
    const [re, im] = config.zComplex;
    // Euler: R(z) = 1 + z; RK4: R(z) = Σ_{k≤4} z^k/k!
    expect(cabs(complex(1 + re, im))).toBeGreaterThan(1);
    const sim = simulatePerturbation(config);
    const euler = sim.sims.find((s) => s.method === 'euler')!;
    const rk4 = sim.sims.find((s) => s.method === 'rk4')!;
    expect(euler.growthComplex).toBeCloseTo(Math.hypot(1 + re, im), 12);
    expect(rk4.growthComplex).toBeLessThan(1);
  });

  it('Euler response does not decay, RK4 response decays', () => {
    const sim = simulatePerturbation(config);
    const euler = sim.sims.find((s) => s.method === 'euler')!;
    const rk4 = sim.sims.find((s) => s.method === 'rk4')!;
    expect(amplitudeRatio(euler.norm)).toBeGreaterThanOrEqual(1);
    expect(amplitudeRatio(rk4.norm)).toBeLessThan(1e-3);
  });

  it('the complex mode is multiplied by exactly |R(hλ)| per step (modal coordinates Qᵀx)', () => {
    const sim = simulatePerturbation(config);
    const Qt = transpose(sim.Q);
    for (const s of sim.sims) {
      const modal = (k: number) => {
        const m = matvec(Qt, Float64Array.from(s.y[k]));
        // poles are ordered [real, σ + iω, σ − iω]: the pair occupies coordinates 1 and 2
        return { pair: Math.hypot(m[1], m[2]), real: Math.abs(m[0]) };
      };
      const m0 = modal(0);
      for (const k of [1, 10, 50, config.steps]) {
        const mk = modal(k);
        expect(mk.pair / m0.pair).toBeCloseTo(s.growthComplex ** k, 9);
        expect(mk.real / m0.real).toBeCloseTo(s.growthReal ** k, 9);
      }
    }
  });

  it('rejects a complex pair without a positive imaginary part', () => {
    expect(() => simulatePerturbation({ ...config, zComplex: [-0.1, 0] })).toThrow(/--z-complex/);
  });
});
