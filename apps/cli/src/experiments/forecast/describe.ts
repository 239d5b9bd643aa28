/** Report text of `sii forecast`: the protocol that ran, and every value that differs from the authors'. */
import type { ArmResult } from '../types.js';
import { type ForecastConfig, presetDeviations, resolveProtocol } from './config.js';

const DATA_TEXT: Record<ForecastConfig['dataset'], string> = {
  engine:
    "LiU-ICE engine: segments of the series split 80/20 by scikit-learn's train_test_split (random_state = data seed), statistics over the stacked training windows",
  airquality:
    'UCI air quality (.xlsx or .csv; NMHC(GT) dropped, −200 interpolated): segments split 80/20 as train_test_split (random_state = data seed), statistics over the stacked training windows',
  activity:
    'UCI person activity: tags aligned by nearest timestamp to the tag with most samples, raw units, recordings split 80/20 and the training ones 80/20 again (validation unused), as train_test_split (random_state = data seed)',
  tanks: 'simulated cascaded tanks (our task, not in the paper): one training and one test record, standardized with training statistics',
  duffing:
    'simulated forced Duffing oscillator (our task, not in the paper): one training and one test record, standardized with training statistics',
};

export function forecastDescription(c: ForecastConfig, results: readonly ArmResult[]): string {
  const x = results.find((r) => r.extra)?.extra ?? {};
  const p = resolveProtocol(c);
  const L = c.layers;
  const dev = presetDeviations(c);
  const protocol =
    dev.length === 0
      ? "Protocol: the authors' (every setting as in their code)."
      : `Protocol: the authors', with these deviations: ${dev.map((d) => `${d.setting} ${d.ours} (authors ${d.authors}; ${d.reason})`).join('; ')}.`;
  const seeds = `Scale ${c.scale}; ${c.seeds} run(s) per init (run k: model init, batch order, noise and prior draws from seed "${c.seed}/run/k"; data split seed ${c.dataSeed}); inits ${c.inits.join(', ')}.`;
  const data = `Data: ${DATA_TEXT[c.dataset]}${c.data ? ` (${c.data})` : ''}; windows of ${p.window} samples${p.segmentLength ? ` from segments of ${p.segmentLength}` : ''}, training stride ${p.trainStride}, test stride ${c.testStride}; ${String(x.trainWindows ?? '?')} training windows${c.maxTrainWindows !== null ? ` (at most ${c.maxTrainWindows}, evenly spaced)` : ''}, ${String(x.testWindows ?? '?')} test windows${c.maxTestWindows !== null ? ` (at most ${c.maxTestWindows})` : ''}; sampling time ${String(x.dt ?? '?')}.`;
  const model = `Model: encoder of the inputs at t0 only, ${L - 1}× (Linear ${c.hidden}, LayerNorm, tanh) then Linear to mean and log-variance of ${c.states} states; latent ODE MLP ${c.states}+m → ${c.hidden} → … → ${c.states}, ${L} Linear layers, ${c.activation}, ${c.solver}, one step of h = ${String(x.h ?? c.h ?? 'dt')} per sample with the input held; decoder ${L - 1}× (Linear ${c.hidden}, LayerNorm, ReLU) then Linear to the outputs; prediction k decodes the state after k + 1 steps. SII: real poles, eps ${c.eps}, inside the ${c.solver} region, slope compensation '${c.compensation}'; baseline = PyTorch default Linear init ("He"); encoder and decoder identical in both arms of a run.`;
  const train = `Training: loss = squared error summed over batch and outputs, mean over time, + ${c.klWeight}·KL (summed over states, mean over the batch); z0 reparameterised from the encoder. ${c.optimizer === 'nadam' ? 'NAdam' : 'Adam'} lr ${c.lr}, ExponentialLR γ ${p.lrDecay} per epoch, gradient-norm clip ${c.clip ?? 'none'}, batch ${c.batch} (shuffled), ${c.epochs} epochs.`;
  const metric = `Metric: test MSE over every window, step and output (${c.dataset === 'activity' ? 'raw units' : 'standardized units'}) with z0 ${c.evalInitialState === 'prior' ? 'drawn from the prior N(0, I) (seeded), as the authors' : "= the encoder's mean (deviation)"}; after every epoch, and before training ("initial").`;
  return [protocol, seeds, data, model, train, metric].join(' ');
}
