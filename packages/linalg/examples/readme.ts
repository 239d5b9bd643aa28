import {
  type Complex, Rng, complex, croot, eigenvalues, fromRows, haarOrthogonal, matmul, polyRoots, transpose,
} from '@sii/linalg';

const fmt = (z: Complex) => `${z.re.toFixed(6)}${z.im < 0 ? '-' : '+'}${Math.abs(z.im).toFixed(6)}i`;

// Seeded RNG: identical numbers on every platform.
const rng = new Rng(42);
console.log('first uint32:', rng.nextUint32()); // 660444221

// A 4×4 matrix with eigenvalues −0.5 ± 0.25i and −1 ± 2i, hidden by a Haar-random rotation Q·B·Qᵀ.
const q = haarOrthogonal(4, rng);
const b = fromRows([
  [-1, 2, 0, 0],
  [-2, -1, 0, 0],
  [0, 0, -0.5, 0.25],
  [0, 0, -0.25, -0.5],
]);
const a = matmul(matmul(q, b), transpose(q));
console.log('eigenvalues:', eigenvalues(a).map(fmt).join(' '));
// eigenvalues: -0.500000+0.250000i -0.500000-0.250000i -1.000000+2.000000i -1.000000-2.000000i

// Roots of z² + 1 (real coefficients, ascending) and of z² − i (complex coefficients).
console.log('roots of 1 + z²:', polyRoots([1, 0, 1]).map(fmt).join(' '));
// roots of 1 + z²: 0.000000+1.000000i 0.000000-1.000000i
console.log('roots of −i + z²:', polyRoots([complex(0, -1), complex(0), complex(1)]).map(fmt).join(' '));
// roots of −i + z²: 0.707107+0.707107i -0.707107-0.707107i

// Principal cube root of −8.
console.log('cbrt(-8):', fmt(croot(complex(-8), 3))); // cbrt(-8): 1.000000+1.732051i
