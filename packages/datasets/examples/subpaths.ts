// The subpath examples of the README (type-checked; universal entry points).
import { generateTeacherStudent } from '@sii/datasets/teacher';

const d = generateTeacherStudent({ setting: 'incl', seed: 0 });
d.train.windows.states; // Float32Array [291, 10, 4]
d.train.windows.inputs; // Float32Array [291, 10, 1]
d.teacherPoles;         // poles the teacher was initialized with (eigenvalues of ∂f/∂x at 0)
d.train.poles;          // Float64Array [300, 4, 2]: eig ∂f/∂x(x_k, u_k) along the trajectory, (re, im)

import { generateLatentDataset, splitLatentFrames } from '@sii/datasets/latent';

const ds = generateLatentDataset({ system: 'pendulum', count: 8, seed: 1 });
ds.images;       // Float32Array [8, 70, 32, 32, 3] in [0, 1]
ds.states;       // Float64Array [8, 70, 2]  (q, p)
const { inputs, targets } = splitLatentFrames(ds); // [8, 10, 32, 32, 3] and [8, 60, 32, 32, 3]

import { generateCascadedTanks, generateDuffing } from '@sii/datasets/systems';

const tanks = generateCascadedTanks({ seed: 0, window: 64 });
tanks.train.inputs;  // Float32Array [961, 64, 1]  (standardized pump input)
tanks.train.targets; // Float32Array [961, 64, 1]  (standardized level of tank 2)
const duff = generateDuffing({ seed: 0, samples: { train: 2048, val: 512, test: 2048 } });
