// @sii/rk — Butcher tableaux, stability functions and regions, and float64 Runge–Kutta solvers.
// See README.md; the cross-package names follow docs/ARCHITECTURE.md.
export { INIT_COLORS, METHOD_COLORS, type MethodRegion, methodColor, methodRegions } from './palette.js';
export { fromTorchdiffeq, getTableau, tableauNames, torchdiffeqMapping } from './registry.js';
export { type OdeintOptions, type OdeSolution, type OdeStats, odeint, RkStepper, rkStep } from './solve.js';
export {
  formatStabilityTable,
  imaginaryStabilityInterval,
  isStable,
  maxStableStep,
  realStabilityInterval,
  type StabilityBoundaryOptions,
  type StabilityFunction,
  type StabilityRow,
  stabilityAbs,
  stabilityBoundary,
  stabilityPolynomial,
  stabilityTable,
  stabilityValue,
  taylorPolynomial,
} from './stability.js';
export {
  denseWeights,
  errorRatio,
  fixedGrid,
  hermiteWeights,
  initialStep,
  nextStepSize,
  type OdeFunction,
  StepController,
  type StepControllerOptions,
  type StepRecord,
  type TrialStep,
} from './stepping.js';
export { type RegionsSvgOptions, regionsSvg } from './svg.js';
export {
  achievedOrder,
  BUTCHER_TABLEAU_BRAND,
  ButcherTableau,
  isButcherTableau,
  MAX_STAGES,
  type TableauSpec,
} from './tableau.js';
export { type RootedTree, stageVector, treeConditionLabel, treesOfOrder, treesUpToOrder } from './trees.js';
