// The Weightline version shown by the CLI (--version) and the desktop app.
// Kept as a plain constant (no bundler define) so it works the same under
// electron-vite, vitest and tsx; test/scaffold.test.ts checks it against package.json.
export const WEIGHTLINE_VERSION = '0.1.0';
