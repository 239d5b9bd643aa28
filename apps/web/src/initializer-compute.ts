// The initializer's computation (siiInit, the baseline, and the float64 eigenvalues of both Jacobians
// through verify). It runs in a Web Worker (initializer.worker.ts): at the stated limits (n 64, H 256,
// L 6) it takes seconds on a slow core, which must not freeze the page.
import type { Complex } from '@sii/linalg';
import { heInit, type SlopeCompensation, siiInit, verify } from '@sii/init';
import { type ActivationName, activationSlopeAtZero, activationSupSlope, type MlpSpec } from '@sii/mlp';

export interface InitRequest {
  /** Answers carry it: the page shows only the answer to its latest request. */
  id: number;
  spec: MlpSpec;
  solver: string;
  h: number;
  complex: boolean;
  eps: number;
  compensation: SlopeCompensation;
  seed: number;
}

export interface InitResult {
  /** Sampled poles λ and hλ. */
  poles: Complex[];
  hLambda: Complex[];
  compensation: SlopeCompensation;
  /** Eigenvalues of ∂f/∂x(0) (λ and hλ) and which hλ lie inside the region: SII network and baseline. */
  sii: { poles: Complex[]; hLambda: Complex[]; inside: number };
  base: { poles: Complex[]; hLambda: Complex[]; inside: number };
  /** The factor between the eigenvalues and the sampled poles, and the largest relative distance. */
  scale: number;
  mismatch: number;
}

export type InitReply = { type: 'result'; id: number; result: InitResult } | { type: 'error'; id: number; message: string };

/** The factor between the eigenvalues of ∂f/∂x(0) and the sampled poles (zero biases). */
export function expectedPoleScale(activation: ActivationName, layers: number, compensation: SlopeCompensation): number {
  if (compensation === 'exact') return 1;
  const slope = activationSlopeAtZero(activation);
  const perLayer = compensation === 'max' ? slope / activationSupSlope(activation) : slope;
  return perLayer ** (layers - 1);
}

/** Pair every target with a distinct nearest eigenvalue (greedy); returns the largest distance relative to |target|. */
export function maxMatchDistance(targets: readonly Complex[], found: readonly Complex[]): number {
  const free = found.map((z) => ({ ...z, used: false }));
  let worst = 0;
  for (const t of targets) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    free.forEach((z, k) => {
      if (z.used) return;
      const d = Math.hypot(z.re - t.re, z.im - t.im);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    if (best < 0) return Number.POSITIVE_INFINITY;
    free[best].used = true;
    worst = Math.max(worst, bestD / Math.max(Math.hypot(t.re, t.im), Number.MIN_VALUE));
  }
  return worst;
}

const plain = (zs: readonly Complex[]): Complex[] => zs.map((z) => ({ re: z.re, im: z.im }));

/** SII and baseline weights for the request, and the eigenvalues of both networks' Jacobians at 0. */
export function computeInitializer(req: InitRequest): InitResult {
  const { spec, solver, h } = req;
  const sii = siiInit({ ...spec, solver, h, complex: req.complex, eps: req.eps, compensation: req.compensation, seed: req.seed });
  const checkSii = verify(spec, sii, { solver, h });
  const checkBase = verify(spec, heInit(spec, `he-${req.seed}`), { solver, h });
  // Where the eigenvalues should be: the poles scaled by the uncompensated slope factor.
  const scale = expectedPoleScale(spec.activation, spec.layers, sii.compensation);
  const expected = sii.poles.map((p) => ({ re: p.re * scale, im: p.im * scale }));
  return {
    poles: plain(sii.poles),
    hLambda: plain(sii.hLambda),
    compensation: sii.compensation,
    sii: { poles: plain(checkSii.poles), hLambda: plain(checkSii.hLambda), inside: checkSii.inside.filter(Boolean).length },
    base: { poles: plain(checkBase.poles), hLambda: plain(checkBase.hLambda), inside: checkBase.inside.filter(Boolean).length },
    scale,
    mismatch: maxMatchDistance(expected, checkSii.poles),
  };
}
