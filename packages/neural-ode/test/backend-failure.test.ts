import { expect, it } from 'vitest';
import { initBackend } from '../src/index.js';

// Own file = own process (vitest 'forks' pool): the WASM module has not been started here yet.
it('a backend that cannot start (wasm binaries not found) gives a clear error', async () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    await expect(initBackend({ wasmPaths: '/nonexistent-sii-dir/' })).rejects.toThrow(
      /initBackend: the wasm backend failed to start.*wasmPaths/s,
    );
  } finally {
    console.warn = warn;
  }
});
