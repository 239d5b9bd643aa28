/** The `--queue`, `--attempts` and `--backoff` flags every sweep command with queue support shares. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseQueueUrl } from './connection.js';

export const QUEUE_DEFAULTS = { attempts: 3, backoffMs: 10_000 } as const;

/** The queue flags a resumed run may change (they decide where it runs, not what). */
export const QUEUE_FLAGS = ['queue', 'attempts', 'backoff'] as const;

/** A queue URL, checked while parsing so that a bad one is a usage error before any run folder exists. */
export function parseQueueArg(v: string): string {
  try {
    parseQueueUrl(v, 'the queue');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^the queue: /, ''));
  }
  return v;
}

function nonNegativeInteger(max: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(x) || x > max)
      throw new InvalidArgumentError(`expected an integer from 0 to ${max}`);
    return x;
  };
}

export function addQueueOptions(cmd: Command, unit: string): Command {
  return cmd
    .addOption(
      new Option(
        '--queue <url>',
        `run each ${unit} as a job on a BullMQ queue in Redis (redis://HOST:PORT[/DB], rediss:// for TLS) for \`sii worker\` processes on any machine (default: local worker threads)`,
      ).argParser(parseQueueArg),
    )
    .addOption(
      new Option('--attempts <n>', `with --queue: attempts per ${unit} before it is recorded as failed`)
        .argParser((v) => {
          const x = nonNegativeInteger(100)(v);
          if (x < 1) throw new InvalidArgumentError('expected an integer from 1 to 100');
          return x;
        })
        .default(QUEUE_DEFAULTS.attempts),
    )
    .addOption(
      new Option('--backoff <ms>', 'with --queue: delay before the first retry, doubled at each retry (exponential backoff)')
        .argParser(nonNegativeInteger(86_400_000))
        .default(QUEUE_DEFAULTS.backoffMs),
    );
}

/** The parsed queue flags as command options. */
export function queueOptions(o: Record<string, unknown>): { queue?: string; attempts?: number; backoffMs?: number } {
  return { queue: o.queue as string | undefined, attempts: o.attempts as number | undefined, backoffMs: o.backoff as number | undefined };
}
