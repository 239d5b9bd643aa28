// A throw-away npm registry (Verdaccio) on 127.0.0.1: its own temporary storage folder, a free port, one
// user whose token publishes @sii/* packages. Only @sii/* is stored; consumers fetch every other package
// from their usual registry (the scoped `@sii:registry` line of their .npmrc points here).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts Verdaccio and resolves once it answers /-/ping. Returns { url, port, token, storage, npmrc(),
 * stop() }. `stop()` kills the server and deletes its folder; it is also called when this process exits.
 */
export async function startRegistry({ timeoutMs = 180_000, log = false } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'sii-registry-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(root, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(root, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(root, 'htpasswd'))}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '@sii/*':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'server:',
      // Idle keep-alive sockets stay open: a caller blocked in execFileSync (a release, an install) for longer
      // than a timeout would otherwise reuse a socket the server closed meanwhile (fetch fails with EPIPE).
      '  keepAliveTimeout: 0',
      'publish:',
      '  allow_offline: true',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const bin = join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', log ? 'inherit' : 'pipe', log ? 'inherit' : 'pipe'],
    env: { ...process.env, VERDACCIO_APPDIR: root },
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stopSync);
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  };
  // Last resort when the caller never reaches stop() (a crash): kill synchronously on exit.
  const stopSync = () => {
    if (!exited) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', stopSync);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`registry: verdaccio exited before answering on ${url}\n${output}`);
    }
    try {
      const res = await fetch(`${url}/-/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`registry: verdaccio did not answer on ${url} within ${timeoutMs} ms\n${output}`);
    }
    await sleep(200);
  }

  // One user; its token authorises publishing (the npm adduser call, done over HTTP).
  const res = await fetch(`${url}/-/user/org.couchdb.user:sii-release`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sii-release', password: 'sii-release-local', type: 'user', roles: [] }),
  });
  const body = await res.json();
  if (!res.ok || typeof body.token !== 'string') {
    await stop();
    throw new Error(`registry: could not create the publishing user (${res.status} ${JSON.stringify(body)})`);
  }
  const token = body.token;
  const hostPath = `//127.0.0.1:${port}/`;
  return {
    url,
    port,
    token,
    root,
    /** .npmrc lines: @sii/* from this registry, token for publishing. `all` sends every package here. */
    npmrc({ all = false } = {}) {
      return [all ? `registry=${url}/` : `@sii:registry=${url}/`, `${hostPath}:_authToken=${token}`, ''].join('\n');
    },
    stop,
  };
}
