// @sii/linalg — float64 linear algebra for sii (complex numbers, seeded RNG, dense matrices, QR,
// Haar-orthogonal matrices, nonsymmetric eigenvalues, polynomial roots) and `showValue`, the one way
// every sii error message shows an offending value. See README.md.
export {
  type Complex,
  cabs,
  cadd,
  carg,
  cconj,
  cdiv,
  cexp,
  clog,
  cmul,
  cneg,
  complex,
  cpolyval,
  cpow,
  croot,
  cscale,
  csub,
  isComplexArray,
} from './complex.js';
export {
  type DenseMatrix,
  denseMatrix,
  fromMlMatrix,
  fromRows,
  frobeniusNorm,
  get,
  identity,
  matmul,
  matvec,
  set,
  toMlMatrix,
  toRows,
  transpose,
  zeros,
} from './dense.js';
export { type EigOptions, type EigResult, eig, eigenvalues, eigenvaluesBatch } from './eigen.js';
export { polyRoots } from './poly.js';
export { haarOrthogonal, type QrOptions, type QrResult, qr } from './qr.js';
export { brandClass, hasBrand } from './brand.js';
export { showValue } from './show.js';
export { fnv1a32, isRng, Rng, RNG_BRAND, type RngSeed, splitmix32 } from './rng.js';
