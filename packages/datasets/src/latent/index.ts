export * from './generate.js';
export { type ForceFunction, type SeparableHamiltonian, symplecticAdvance } from './integrators.js';
export * from './render.js';
export * from './systems.js';
