// Screenshots a person looks at: into the test's output folder (Playwright's
// outputDir), into test-results/screenshots with the others, and copied to
// $WEIGHTLINE_UI_SHOTS when set.
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { SCREENSHOT_DIR } from './fixtures';

export async function uiShot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = `${name}.png`;
  await page.screenshot({ path: info.outputPath(file) });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, file) });
  const extra = process.env.WEIGHTLINE_UI_SHOTS;
  if (extra) {
    await mkdir(extra, { recursive: true });
    await page.screenshot({ path: path.join(extra, file) });
  }
}
