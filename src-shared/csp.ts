// The one Content-Security-Policy of the UI: sent by the Electron main process
// and by the browser-mode server (src-renderer/index.html carries the same in a
// <meta> tag, minus frame-ancestors, which only works as a header).
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');
