/**
 * Headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core (never a
 * browser playwright downloads). Missing, the test FAILS with the install command; it never skips.
 */
import { access, constants } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import type { Test } from 'tap';
import { missingToolMessage } from './tools.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** The browser, closed with the test; undefined (and the test failed) when Chromium is not installed. */
export async function launchChromium(t: Test): Promise<Browser | undefined> {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    t.fail(missingToolMessage('chromium', 'chromium'));
    return undefined;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  return browser;
}
