// End-to-end specs (e2e/*.spec.ts) against the browser mode: each test starts
// `weightline serve` on its own temporary store. Run `npm run e2e` (it builds
// first). Chromium is the system one (Debian: apt-get install chromium); set
// WEIGHTLINE_CHROMIUM to use another binary. Never `npx playwright install`.
import { defineConfig } from '@playwright/test';

const executablePath = process.env.WEIGHTLINE_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/playwright',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : 4,
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    },
  },
  projects: [
    { name: 'chromium-browser-mode', testIgnore: ['electron.spec.ts', 'scale.spec.ts'], use: { browserName: 'chromium', colorScheme: 'light' } },
    // Timings: run after the functional specs, so no other test competes for the CPU.
    { name: 'scale', testMatch: 'scale.spec.ts', dependencies: ['chromium-browser-mode'], use: { browserName: 'chromium', colorScheme: 'light' } },
    // e2e/electron.spec.ts (issue 4) drives the Electron binary itself and skips where none exists.
    { name: 'electron', testMatch: 'electron.spec.ts' },
  ],
});
