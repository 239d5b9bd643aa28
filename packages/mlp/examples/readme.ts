import { activationSlopeAtZero, activationSupSlope, defaultWeights, mlpForward64, mlpJacobian64, parameterCount } from '@sii/mlp';

const spec = { states: 2, inputs: 1, hidden: 16, layers: 3, activation: 'silu' } as const;
console.log('parameters:', parameterCount(spec)); // (3 + 1)·16 + (16 + 1)·16 + (16 + 1)·2 = 370
console.log('silu slope at 0:', activationSlopeAtZero('silu'), 'supremum slope:', activationSupSlope('silu').toFixed(4));

const w = defaultWeights(spec, 42); // PyTorch's default Linear init, seeded
const x = [0.5, -0.25];
const u = [1];
const J = mlpJacobian64(spec, w, x, u); // entry (i, j) = ∂f_i/∂x_j

// Central differences of the forward pass agree with the analytic Jacobian.
let worst = 0;
for (let j = 0; j < 2; j++) {
  const step = 1e-6;
  const xp = [...x]; xp[j] += step;
  const xm = [...x]; xm[j] -= step;
  const fp = mlpForward64(spec, w, xp, u);
  const fm = mlpForward64(spec, w, xm, u);
  for (let i = 0; i < 2; i++) worst = Math.max(worst, Math.abs((fp[i] - fm[i]) / (2 * step) - J.data[i * 2 + j]));
}
console.log('Jacobian matches central differences:', worst < 1e-8);
