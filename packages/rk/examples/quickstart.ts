import {
  formatStabilityTable, getTableau, maxStableStep, type OdeFunction, odeint, realStabilityInterval, regionsSvg,
  stabilityPolynomial, stabilityTable, taylorPolynomial,
} from '@sii/rk';

const R = stabilityPolynomial(getTableau('rk4'));          // Float64Array [1, 1, 1/2, 1/6, 1/24]
console.log('RK4 real interval', realStabilityInterval(R).toFixed(10)); // 2.7852935634
console.log('RK4 max stable h for λ = -10 ± 5i:', maxStableStep(R, [{ re: -10, im: 5 }, { re: -10, im: -5 }]).toFixed(6));
console.log(formatStabilityTable(stabilityTable(['euler', 'midpoint', 'kutta3', 'rk4', 'dopri5'])));

const f: OdeFunction = (t, y, dy) => { dy[0] = -2 * t * y[0] * y[0]; };   // exact y = 1/(1+t²)
const fixed = odeint(f, [1], [0, 1, 2], { method: 'rk38', step: 0.1 });
const adaptive = odeint(f, [1], [0, 1, 2], { method: 'dopri5', rtol: 1e-8, atol: 1e-10 });
console.log('rk38   y(2) =', fixed.y[2].toFixed(10), 'steps', fixed.stats.steps);
console.log('dopri5 y(2) =', adaptive.y[2].toFixed(10), 'steps', adaptive.stats.steps, '(exact 0.2)');

const svg = regionsSvg({
  methods: [1, 2, 3, 4].map((p) => ({ name: `RK${p}`, R: taylorPolynomial(p) })),
  poles: [{ z: { re: -0.5, im: 1.2 }, label: 'hλ' }, { z: { re: -0.5, im: -1.2 } }],
  title: 'Stability regions of RK1–RK4',
});
console.log('SVG bytes:', svg.length);
