import { batches, buildForecastSplit, makeSegment, pixelTask } from '@sii/datasets';

// psMNIST at laptop scale: 2,000 / 1,000 class-balanced examples, one seeded pixel permutation
const task = pixelTask({ dataset: 'mnist', view: 'permuted', trainSize: 2000, testSize: 1000, balanced: true, seed: 1 });
console.log(task.train.shape, task.test.shape); // [ 2000, 784, 1 ] [ 1000, 784, 1 ]

for (const batch of batches(task.train, { batchSize: 512, seed: 1, epoch: 0 })) {
  console.log(batch.shape, batch.y.length); // [ 512, 784, 1 ] 512 … last batch [ 464, 784, 1 ]
}

// forecasting: any recorded or simulated series → standardized windows
const t = Array.from({ length: 200 }, (_, k) => k * 0.1);
const seg = makeSegment(t.map(Math.sin), t.map(Math.cos), 1, 1); // 1 input, 1 target channel
const split = buildForecastSplit({
  name: 'toy', dt: 0.1, inputNames: ['u'], targetNames: ['y'],
  train: [seg], test: [seg], window: 50, stride: 10,
});
console.log(split.train.shape); // { samples: 16, steps: 50, inputDim: 1, targetDim: 1 }
