/**
 * Where `sii worker` keeps the per-epoch checkpoints of long units (pixel, latent and forecast arms):
 * in the run folder when this worker sees it (a shared file system: the folder's queue.json names the
 * unit's sweep), else in Redis, one key per unit. Both writes are atomic: the file is written to a
 * temporary name, fsync'd and renamed; a Redis SET replaces the value whole. The coordinator drops
 * the checkpoint when it records the unit's result (and a Redis key also expires by itself).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Redis } from 'ioredis';
import { readJson, writeFileAtomic } from '../runfolder.js';

/** Where a unit's checkpoints may go: its sweep and the coordinator's run folder (absolute path). */
export interface CheckpointPlace {
  sweep: string;
  run: string;
}

/** auto: the run folder when visible, else Redis; redis: Redis only; off: none (a moved unit starts over). */
export type CheckpointMode = 'auto' | 'redis' | 'off';
export const CHECKPOINT_MODES: readonly CheckpointMode[] = ['auto', 'redis', 'off'];

/** A Redis checkpoint outlives its last write by this long at most (a unit nobody finishes). */
export const CHECKPOINT_TTL_S = 30 * 86_400;

export const checkpointKey = (sweep: string, unit: string): string => `sii:checkpoint:${sweep}:${unit}`;
export const checkpointFile = (run: string, unit: string): string => join(run, 'checkpoints', `${unit}.json.gz`);

/**
 * The checkpoint place of a job, or undefined when the job has none or its names could leave the run
 * folder (a unit key or sweep id other than letters, digits, '_' and '-', or a relative run path).
 */
export function checkpointPlaceOf(data: { key?: unknown; checkpoint?: unknown }): CheckpointPlace | undefined {
  const p = data.checkpoint as Partial<CheckpointPlace> | undefined;
  const name = /^[\w-]+$/;
  if (typeof data.key !== 'string' || !name.test(data.key)) return undefined;
  if (typeof p?.sweep !== 'string' || !name.test(p.sweep) || typeof p.run !== 'string' || !isAbsolute(p.run)) return undefined;
  return { sweep: p.sweep, run: p.run };
}

/** True when `place.run` is the coordinator's run folder as seen from here (same sweep in its queue.json). */
export function seesRunFolder(place: CheckpointPlace): boolean {
  try {
    return readJson<{ sweep?: unknown }>(join(place.run, 'queue.json'))?.sweep === place.sweep;
  } catch {
    return false;
  }
}

export interface StoredCheckpoint {
  where: 'folder' | 'redis';
  bytes: Buffer;
}

export class CheckpointStore {
  constructor(
    private readonly redis: Redis,
    readonly mode: CheckpointMode,
  ) {}

  /** Where this worker writes the unit's checkpoints (null: mode off). */
  target(place: CheckpointPlace): 'folder' | 'redis' | null {
    if (this.mode === 'off') return null;
    return this.mode === 'auto' && seesRunFolder(place) ? 'folder' : 'redis';
  }

  /** Every stored checkpoint of the unit (the folder's and Redis's: an earlier worker may have used either). */
  async load(place: CheckpointPlace, unit: string): Promise<StoredCheckpoint[]> {
    if (this.mode === 'off') return [];
    const found: StoredCheckpoint[] = [];
    const file = checkpointFile(place.run, unit);
    if (this.mode === 'auto' && existsSync(file) && seesRunFolder(place)) found.push({ where: 'folder', bytes: readFileSync(file) });
    const bytes = await this.redis.getBuffer(checkpointKey(place.sweep, unit));
    if (bytes) found.push({ where: 'redis', bytes });
    return found;
  }

  async save(place: CheckpointPlace, unit: string, where: 'folder' | 'redis', bytes: Buffer): Promise<void> {
    if (where === 'folder') writeFileAtomic(checkpointFile(place.run, unit), bytes);
    else await this.redis.set(checkpointKey(place.sweep, unit), bytes, 'EX', CHECKPOINT_TTL_S);
  }
}

/** The coordinator, once a unit's result (or failure) is recorded: its checkpoints are no longer needed. */
export async function dropCheckpoints(redis: Redis, place: CheckpointPlace, unit: string): Promise<void> {
  rmSync(checkpointFile(place.run, unit), { force: true });
  await redis.del(checkpointKey(place.sweep, unit));
}
