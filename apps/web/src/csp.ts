// The page's Content-Security-Policy: what the app really needs and nothing more. It is put into
// dist/index.html as a <meta> tag (so any static host serves it) and sent as a header by `vite preview`
// and by the end-to-end test's server (a header also covers the Web Workers, which a meta tag does not).
//
// - script-src 'self' 'wasm-unsafe-eval': the bundle's own modules, and compiling WebAssembly (the
//   tfjs WASM backend's .wasm files and @sii/neural-ode's SIMD kernels); no eval, no inline script;
// - worker-src 'self': the training and explorer workers are files of the bundle (no blob: workers: the
//   threaded WASM backend, which would start blob: workers, needs cross-origin isolation the page does not ask for);
// - connect-src 'self': fetches of the .wasm files (and Vite's module preload);
// - style-src 'self': the bundled stylesheet (inline styles are set only through the CSSOM);
// - img-src 'self' data:: the empty data: favicon; everything else is off.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
