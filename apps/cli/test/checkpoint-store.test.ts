/**
 * Where `sii worker` keeps checkpoints, without Redis: the run folder counts as seen only when its
 * queue.json names the unit's sweep; a job's names that could leave the run folder disable checkpoints;
 * a checkpoint written to the folder is atomic (no temporary file left) and read back as written.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointFile, checkpointPlaceOf, seesRunFolder } from '../src/queue/checkpoints.js';

const dir = mkdtempSync(join(tmpdir(), 'sii-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for the two Redis calls the store makes, holding values in a Map. */
function fakeRedis(): Redis & { values: Map<string, Buffer> } {
  const values = new Map<string, Buffer>();
  return {
    values,
    getBuffer: async (k: string) => values.get(k) ?? null,
    set: async (k: string, v: Buffer) => {
      values.set(k, v);
      return 'OK';
    },
  } as unknown as Redis & { values: Map<string, Buffer> };
}

describe('checkpoint places', () => {
  it('sees the run folder only when its queue.json names the same sweep', () => {
    const place = { sweep: 'pixel-1', run: dir };
    expect(seesRunFolder(place)).toBe(false); // no queue.json
    writeFileSync(join(dir, 'queue.json'), JSON.stringify({ sweep: 'pixel-2', generations: 1 }));
    expect(seesRunFolder(place)).toBe(false); // another sweep's folder at the same path
    writeFileSync(join(dir, 'queue.json'), JSON.stringify({ sweep: 'pixel-1', generations: 1 }));
    expect(seesRunFolder(place)).toBe(true);
  });

  it('takes a job’s place only with plain names and an absolute run folder', () => {
    const checkpoint = { sweep: 'pixel-1', run: dir };
    expect(checkpointPlaceOf({ key: 'run-000-sii', checkpoint })).toEqual(checkpoint);
    expect(checkpointPlaceOf({ key: '../../etc/x', checkpoint })).toBeUndefined();
    expect(checkpointPlaceOf({ key: 'run-000-sii', checkpoint: { sweep: 'a/b', run: dir } })).toBeUndefined();
    expect(checkpointPlaceOf({ key: 'run-000-sii', checkpoint: { sweep: 'a', run: 'relative/run' } })).toBeUndefined();
    expect(checkpointPlaceOf({ key: 'run-000-sii' })).toBeUndefined(); // a job from before checkpoints
  });

  it('auto writes to the seen folder atomically, redis mode to Redis; load returns both', async () => {
    const place = { sweep: 'pixel-1', run: dir };
    const redis = fakeRedis();
    const auto = new CheckpointStore(redis, 'auto');
    expect(auto.target(place)).toBe('folder');
    expect(auto.target({ ...place, sweep: 'other' })).toBe('redis');
    await auto.save(place, 'run-000-sii', 'folder', Buffer.from('epoch 3'));
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['run-000-sii.json.gz']); // no temporary file left
    const viaRedis = new CheckpointStore(redis, 'redis');
    expect(viaRedis.target(place)).toBe('redis');
    await viaRedis.save(place, 'run-000-sii', 'redis', Buffer.from('epoch 2'));
    expect([...redis.values.keys()]).toEqual(['sii:checkpoint:pixel-1:run-000-sii']);
    const both = await auto.load(place, 'run-000-sii');
    expect(both.map((s) => [s.where, s.bytes.toString()])).toEqual([
      ['folder', 'epoch 3'],
      ['redis', 'epoch 2'],
    ]);
    expect((await viaRedis.load(place, 'run-000-sii')).map((s) => s.where)).toEqual(['redis']);
    expect(await new CheckpointStore(redis, 'off').load(place, 'run-000-sii')).toEqual([]);
    expect(checkpointFile(dir, 'run-000-sii')).toBe(join(dir, 'checkpoints', 'run-000-sii.json.gz'));
  });
});
