/**
 * Node worker threads running this package's built scripts (DataParallelTrainer, SIMD rollout
 * threads). Node-only modules are imported on call, so that browser bundles of the package work.
 */

/** The parts of node:worker_threads' Worker used here; `Msg` is what the worker posts. */
export interface MinimalWorker<Msg> {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', cb: (msg: Msg) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'exit', cb: (code: number) => void): void;
  once(event: 'exit', cb: (code: number) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}

/**
 * A function that starts workers on the built script: `override` when given, else `script` (next to
 * the calling module in dist/) or, when the caller runs from its TypeScript source (a test runner),
 * `distScript`. The workers run built JavaScript, so export conditions a test runner added to the
 * process (e.g. one mapping workspace packages to sources) are not passed on.
 */
export async function builtWorkerFactory<Msg>(
  where: string,
  override: URL | undefined,
  script: URL,
  distScript: URL,
): Promise<() => MinimalWorker<Msg>> {
  const { Worker } = await import('node:worker_threads');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  let url = override ?? script;
  if (override == null && !existsSync(fileURLToPath(url))) url = distScript;
  if (!existsSync(fileURLToPath(url))) throw new Error(`${where}: worker script ${url.href} not found (build the package: pnpm build)`);
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    // --input-type applies to the main entry's source only; a worker refuses it.
    if (a === '--conditions' || a === '-C' || a === '--input-type') i++;
    else if (!a.startsWith('--conditions=') && !a.startsWith('--input-type=')) execArgv.push(a);
  }
  let accepted = execArgv;
  return () => {
    try {
      return new Worker(url, { execArgv: accepted });
    } catch (e) {
      // V8 flags (--expose-gc, --stack-size, --experimental-wasm-*) are process-wide and refused in a
      // worker's execArgv; Node names them in the message. Drop those and start the worker once more.
      const refused = invalidExecArgv(e);
      if (refused.length === 0) throw e;
      accepted = accepted.filter((a) => !refused.includes(a));
      return new Worker(url, { execArgv: accepted });
    }
  };
}

/** The flags named by Node's ERR_WORKER_INVALID_EXEC_ARGV, else []. */
export function invalidExecArgv(e: unknown): string[] {
  const err = e as { code?: string; message?: string };
  if (err?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || typeof err.message !== 'string') return [];
  const list = err.message.split(':').slice(1).join(':');
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('-'));
}
