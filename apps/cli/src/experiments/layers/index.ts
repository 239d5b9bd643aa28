export {
  addChannelBias,
  type ConvImpl,
  CONV_IMPLS,
  conv3d,
  convTranspose3dStrided,
  dense,
  flipKernel,
  im2col,
  im2colT,
  registerConvGradients,
  resolveConvImpl,
  type Triple,
} from './conv3d.js';
export { depthToSpace, depthToSpaceBias, im2colData, pool2, swapLeadingAxes } from './gather.js';
export { Conv3d, ConvTranspose3dStrided, dropout, silu } from './modules.js';
export { BatchNorm, GroupNorm, NORM_EPS, normalize } from './norm.js';
export { avgPool3d2, maxPool3d2 } from './pool.js';
