/**
 * Progress display: cli-progress bars with ETA on a TTY (one overall bar plus one per worker),
 * plain lines otherwise (CI, pipes, tests).
 */
import cliProgress from 'cli-progress';

export interface ProgressSink {
  /** A task (e.g. one teacher × init) started on `slot`, with `epochs` epochs to run. */
  start(slot: number, label: string, epochs: number): void;
  /** An epoch finished on `slot`. */
  epoch(slot: number, epoch: number, info: string): void;
  /** A task finished; `done` tasks out of the total are complete. */
  finish(slot: number, label: string, info: string): void;
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  total: number;
  title: string;
  /** Force plain lines (default: plain when stdout is not a TTY). */
  plain?: boolean;
  /** Plain mode: print an epoch line every this many epochs (0: never). */
  epochEvery?: number;
  stream?: NodeJS.WriteStream;
}

function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Plain-line progress: one line per finished task (with ETA), optional epoch lines. */
class PlainProgress implements ProgressSink {
  private done = 0;
  private readonly t0 = Date.now();
  constructor(
    private readonly opts: ProgressOptions,
    private readonly out: (s: string) => void,
  ) {}
  start(slot: number, label: string, epochs: number): void {
    this.out(`[w${slot}] start ${label} (${epochs} epochs)`);
  }
  epoch(slot: number, epoch: number, info: string): void {
    const every = this.opts.epochEvery ?? 0;
    if (every > 0 && epoch % every === 0) this.out(`[w${slot}]   epoch ${epoch} ${info}`);
  }
  finish(slot: number, label: string, info: string): void {
    this.done++;
    const elapsed = Date.now() - this.t0;
    const eta = this.done > 0 ? (elapsed / this.done) * (this.opts.total - this.done) : Number.NaN;
    this.out(
      `[w${slot}] done ${label} ${info} — ${this.done}/${this.opts.total}, elapsed ${fmtDuration(elapsed)}, ETA ${fmtDuration(eta)}`,
    );
  }
  log(line: string): void {
    this.out(line);
  }
  stop(): void {}
}

class BarProgress implements ProgressSink {
  private readonly multi: cliProgress.MultiBar;
  private readonly overall: cliProgress.SingleBar;
  private readonly bars = new Map<number, cliProgress.SingleBar>();
  constructor(opts: ProgressOptions) {
    this.multi = new cliProgress.MultiBar(
      {
        clearOnComplete: false,
        hideCursor: true,
        stream: opts.stream ?? process.stderr,
        format: '{label} |{bar}| {value}/{total} {info} ETA {eta_formatted}',
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.overall = this.multi.create(opts.total, 0, { label: opts.title.padEnd(22), info: '' });
  }
  start(slot: number, label: string, epochs: number): void {
    const existing = this.bars.get(slot);
    const payload = { label: `  w${slot} ${label}`.padEnd(22), info: '' };
    if (existing) {
      existing.setTotal(epochs);
      existing.update(0, payload);
    } else {
      this.bars.set(slot, this.multi.create(epochs, 0, payload));
    }
  }
  epoch(slot: number, epoch: number, info: string): void {
    this.bars.get(slot)?.update(epoch, { info });
  }
  finish(_slot: number, _label: string, info: string): void {
    this.overall.increment(1, { info });
  }
  log(line: string): void {
    this.multi.log(`${line}\n`);
  }
  stop(): void {
    this.multi.stop();
  }
}

export function createProgress(opts: ProgressOptions): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  const plain = opts.plain ?? !stream.isTTY;
  if (plain) return new PlainProgress(opts, (s) => stream.write(`${s}\n`));
  return new BarProgress(opts);
}
