/**
 * The Redis behind `--queue`: URL parsing (errors name the flag), connections (ioredis, as BullMQ
 * expects them) and the names of the two BullMQ queues every sweep and worker share.
 */
import { Redis } from 'ioredis';

/** Units of every study (children of a sweep's flow); `sii worker` runs them. */
export const UNIT_QUEUE = 'sii-units';
/** One parent job per sweep (and per resumed generation); completes when all its units have. */
export const SWEEP_QUEUE = 'sii-sweeps';

export interface QueueAddress {
  /** The URL as given (it may hold a password: never written to disk or printed). */
  url: string;
  /** The URL without user and password, for messages and the run folder. */
  display: string;
  tls: boolean;
  host: string;
  port: number;
  db: number;
}

/** Parse `redis://[user:password@]HOST:PORT[/DB]` or `rediss://…` (TLS). */
export function parseQueueUrl(value: string, flag = '--queue'): QueueAddress {
  const bad = (why: string) => new Error(`${flag}: ${why} (expected redis://HOST:PORT[/DB] or rediss://…, got ${JSON.stringify(value)})`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`unsupported scheme ${u.protocol.replace(/:$/, '')}`);
  if (u.hostname === '') throw bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw bad(`the database must be a number, got ${JSON.stringify(path)}`);
  const db = path === '' ? 0 : Number(path);
  if (u.search !== '' || u.hash !== '') throw bad('no query or fragment is allowed');
  const display = `${u.protocol}//${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${port}/${db}`;
  return { url: value, display, tls: u.protocol === 'rediss:', host: u.hostname, port, db };
}

/** A connection for BullMQ (blocking commands must not time out: maxRetriesPerRequest null). */
export function connect(address: QueueAddress): Redis {
  const client = new Redis(address.url, { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; without a listener an error event would print a stack per retry.
  client.on('error', () => {});
  return client;
}

/** Fail fast with a clear message when Redis cannot be reached (instead of retrying forever). */
export async function checkReachable(address: QueueAddress, timeoutMs = 5000): Promise<void> {
  const probe = new Redis(address.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    throw new Error(`--queue: cannot reach Redis at ${address.display}: ${(e as Error).message}`);
  } finally {
    probe.disconnect();
  }
}
