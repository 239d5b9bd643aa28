// Entry point: mounts the three panels. Each panel is mounted on its own so that an error in one
// (shown in place) leaves the others usable.
import './style.css';
import { mountExplorer } from './explorer.js';
import { mountInitializer } from './initializer.js';
import { mountTraining } from './training.js';

const panels: [string, (root: HTMLElement) => unknown][] = [
  ['explorer', mountExplorer],
  ['initializer', mountInitializer],
  ['training', mountTraining],
];

for (const [id, mount] of panels) {
  const root = document.getElementById(id);
  if (!root) continue;
  try {
    mount(root);
  } catch (e) {
    root.dataset.state = 'error';
    root.append(Object.assign(document.createElement('pre'), { className: 'error', textContent: `${id}: ${(e as Error).stack ?? e}` }));
    console.error(e);
  }
}
document.body.dataset.ready = 'true';
