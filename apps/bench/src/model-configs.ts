/** The model rows of the bench (the paper's models, src/models.ts) by name, without loading the CLI. */

/** Shapes of the forecasting row: the model of AUTHORS_PROTOCOL on `sii forecast`'s default data set. */
export interface ForecastBenchShape {
  kind: 'forecast';
  /** inputs m and outputs p of the data set (cascaded tanks: 1 and 1) */
  inputs: number;
  outputs: number;
  /** window length T (tanks: 64) */
  steps: number;
  /** solver step h = the data set's sampling time (tanks: 4) */
  h: number;
}

/** Shapes of the latent row: `sii latent`'s default system (mass–spring; no dropout). */
export interface LatentBenchShape {
  kind: 'latent';
}

export type ModelBenchShape = ForecastBenchShape | LatentBenchShape;

export const MODEL_CONFIGS: Record<string, ModelBenchShape> = {
  forecast: { kind: 'forecast', inputs: 1, outputs: 1, steps: 64, h: 4 },
  latent: { kind: 'latent' },
};
