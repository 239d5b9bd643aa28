/**
 * Regression pins: the exact float64 teacher trajectories of three seeds (both settings, one unpaired
 * arm), recorded with the straightforward solver and MLP loops before they were optimized. Any change
 * of the floating-point operations or their order in the teacher simulation (dopri5 step, MLP forward,
 * input interpolation) changes these bits, and with them every teacher–student result of a given seed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateTeacherStudent, type TeacherSetting } from '../src/teacher/index.js';

interface Pin {
  setting: TeacherSetting;
  seed: string;
  arm?: string;
  /** SHA-256 of the bytes of train.states64 then val.states64 (40 samples). */
  sha256: string;
  trainLast: number[];
  val20: number[];
}

const PINS: Pin[] = [
  {
    setting: 'excl',
    seed: '0/teacher/0',
    sha256: '0018dfbb0ac899c6419640bd7d152bcdd380051f87b6f6a14b79b1a60800559a',
    trainLast: [-0.16659547112814574, -0.5754105533014595],
    val20: [-0.06640639156680937, -0.13733863755978393],
  },
  {
    setting: 'incl',
    seed: '0/teacher/1',
    sha256: 'e1b1141de538ec133cc1ec9575beee8aa4d869cca4637bc66b01dbc470b96952',
    trainLast: [-0.6946461684813219, 0.8308276567806621, -0.5801165192290243, 0.54556744235495],
    val20: [-0.09214167050076008, -0.09159774165911676, 0.18964720266980348, -0.02282155222367282],
  },
  {
    setting: 'excl',
    seed: '0/teacher/2',
    arm: 'baseline',
    sha256: 'eb81e580882fbbd5f4350760a47e4266a1a8ec2912a60188af54b268a1a30669',
    trainLast: [-0.28110265970545034, 1.1261218872424712],
    val20: [-0.28215296712691784, 0.20095517144314104],
  },
];

describe('teacher trajectories are pinned bit for bit', () => {
  for (const pin of PINS) {
    it(`${pin.setting} ${pin.seed}${pin.arm ? ` arm ${pin.arm}` : ''}`, () => {
      const d = generateTeacherStudent({
        setting: pin.setting,
        seed: pin.seed,
        samples: 40,
        trajectoryPoles: false,
        ...(pin.arm ? { arm: pin.arm } : {}),
      });
      const n = d.spec.states;
      expect(Array.from(d.train.states64.subarray(39 * n, 40 * n))).toEqual(pin.trainLast);
      expect(Array.from(d.val.states64.subarray(20 * n, 21 * n))).toEqual(pin.val20);
      const hash = createHash('sha256');
      hash.update(new Uint8Array(d.train.states64.buffer, d.train.states64.byteOffset, d.train.states64.byteLength));
      hash.update(new Uint8Array(d.val.states64.buffer, d.val.states64.byteOffset, d.val.states64.byteLength));
      expect(hash.digest('hex')).toBe(pin.sha256);
    });
  }
});
