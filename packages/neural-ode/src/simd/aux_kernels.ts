/**
 * A second instance of the SIMD kernels for ops outside the rollout (the loss, dense layers): the
 * rollout's arena keeps what its forward pass left for its backward pass, so these ops use their own
 * memory, reset on every call.
 */
import { Arena, createSimdKernels, type KernelExports, simdKernelVariant } from './kernels.js';

let aux: { k: KernelExports; arena: Arena } | null = null;

/** This thread's auxiliary kernels and their arena (throws where the SIMD kernels do not load). */
export function auxKernels(where: string): { k: KernelExports; arena: Arena } {
  if (aux) return aux;
  const variant = simdKernelVariant();
  if (variant == null) throw new Error(`${where}: the SIMD kernels do not load in this runtime`);
  const k = createSimdKernels(variant);
  aux = { k, arena: new Arena(k) };
  return aux;
}

/** Whether the auxiliary SIMD ops run here (WebAssembly SIMD available). */
export function auxKernelsAvailable(): boolean {
  return simdKernelVariant() != null;
}
