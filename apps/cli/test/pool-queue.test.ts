import { describe, expect, it } from 'vitest';
import { type EpochReport, runQueue, type TaskRunner } from '../src/pool.js';

/** A runner whose tasks finish when the test says so; it logs when each task is posted. */
class ManualRunner implements TaskRunner<number, number> {
  readonly slots: number;
  readonly background: boolean;
  readonly pending = new Map<number, { resolve: (r: { result: number }) => void; reject: (e: Error) => void; onEpoch: EpochReport }>();
  constructor(
    readonly log: string[],
    opts: { slots: number; background: boolean },
  ) {
    this.slots = opts.slots;
    this.background = opts.background;
  }
  run(_slot: number, task: number, onEpoch: EpochReport) {
    this.log.push(`post ${task}`);
    return new Promise<{ result: number }>((resolve, reject) => this.pending.set(task, { resolve, reject, onEpoch }));
  }
  async close() {}
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('runQueue', () => {
  it('with a background runner posts the next task before onDone of the finished one; hooks stay in order', async () => {
    const log: string[] = [];
    const runner = new ManualRunner(log, { slots: 1, background: true });
    const queue = runQueue([0, 1, 2], runner, {
      onStart: (_s, t) => log.push(`start ${t}`),
      onEpoch: (_s, t, e) => log.push(`epoch ${t}.${e}`),
      onDone: (_s, t, r) => void log.push(`done ${t} = ${r}`),
      onError: (_s, t) => void log.push(`error ${t}`),
    });
    for (const t of [0, 1, 2]) {
      await tick();
      const p = runner.pending.get(t)!;
      p.onEpoch(1, 0, 0);
      p.resolve({ result: 10 * t });
    }
    await queue;
    expect(log).toEqual([
      'post 0',
      'start 0',
      'epoch 0.1',
      'post 1', // posted while task 0's result is handled
      'done 0 = 0',
      'start 1',
      'epoch 1.1',
      'post 2',
      'done 1 = 10',
      'start 2',
      'epoch 2.1',
      'done 2 = 20',
    ]);
  });

  it('holds epoch reports of a posted task until its onStart; in-thread runners post after onDone', async () => {
    const log: string[] = [];
    const runner = new ManualRunner(log, { slots: 1, background: true });
    let release!: () => void;
    const queue = runQueue([0, 1], runner, {
      onStart: (_s, t) => log.push(`start ${t}`),
      onEpoch: (_s, t, e) => log.push(`epoch ${t}.${e}`),
      onDone: async (_s, t) => {
        if (t === 0) {
          runner.pending.get(1)!.onEpoch(1, 0, 0); // task 1 reports while task 0's result is written
          await new Promise<void>((r) => (release = r));
        }
        log.push(`done ${t}`);
      },
      onError: () => {},
    });
    await tick();
    runner.pending.get(0)!.resolve({ result: 0 });
    await tick();
    release();
    await tick();
    runner.pending.get(1)!.resolve({ result: 1 });
    await queue;
    expect(log).toEqual(['post 0', 'start 0', 'post 1', 'done 0', 'start 1', 'epoch 1.1', 'done 1']);

    const inline: string[] = [];
    const plain = new ManualRunner(inline, { slots: 1, background: false });
    const q2 = runQueue([0, 1], plain, {
      onStart: (_s, t) => inline.push(`start ${t}`),
      onDone: (_s, t) => void inline.push(`done ${t}`),
      onError: () => {},
    });
    await tick();
    plain.pending.get(0)!.resolve({ result: 0 });
    await tick();
    plain.pending.get(1)!.resolve({ result: 1 });
    await q2;
    expect(inline).toEqual(['post 0', 'start 0', 'done 0', 'post 1', 'start 1', 'done 1']);
  });

  it('after a failure calls onError before taking the next task, so stop() (fail-fast) posts no more', async () => {
    const log: string[] = [];
    const runner = new ManualRunner(log, { slots: 1, background: true });
    let failed = false;
    const queue = runQueue([0, 1, 2], runner, {
      stop: () => failed,
      onStart: (_s, t) => log.push(`start ${t}`),
      onDone: (_s, t) => void log.push(`done ${t}`),
      onError: (_s, t, e) => {
        failed = true;
        log.push(`error ${t}: ${e.message}`);
      },
    });
    await tick();
    runner.pending.get(0)!.reject(new Error('boom'));
    await queue;
    expect(log).toEqual(['post 0', 'start 0', 'error 0: boom']);
  });
});
