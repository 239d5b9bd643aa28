import { siiInit, verify } from '@sii/init';

const spec = { states: 4, inputs: 1, hidden: 64, layers: 3, activation: 'elu' } as const;
const model = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, seed: 42 });

const check = verify(spec, model, { solver: 'midpoint', h: 0.1 });
check.hLambda.forEach((z, i) => {
  const sign = z.im < 0 ? '-' : '+';
  console.log(`hλ = ${z.re.toFixed(4)} ${sign} ${Math.abs(z.im).toFixed(4)}i   |R(hλ)| = ${check.absR[i].toFixed(4)}   inside: ${check.inside[i]}`);
});
console.log('all poles inside the midpoint region:', check.allInside);
