/**
 * The HTML report in a real browser: Debian's chromium (/usr/bin/chromium) driven by
 * playwright-core, headless, opening a rendered report from a file:// URL at 1280×800, and
 * checking what a person looks for: the failures at the top with links that land on an open
 * detail, the areas × statuses table with the right counts and working links (into collapsed
 * passes too), passes collapsed and failures open, the exchange that broke the rule visibly
 * marked, the page usable from the keyboard, nothing loaded but the file, and no horizontal scroll
 * even with every <details> opened and long URLs, digests and bodies inside. A full-page
 * screenshot is left in the temp directory for a person to look at. A missing chromium fails the
 * test with the install command; it never skips.
 */
import t from 'tap';
import { access, constants, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { toHtml } from '../../../conformance/report/html.ts';
import type { Report, Result } from '../../../conformance/report/types.ts';
import { missingToolMessage, tempDir } from '../../helpers/tools.ts';
import { body, exchange, report, result, sampleReport } from '../../helpers/report.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };
/** Left for a person to look at: the page as it opens, and with every <details> open. */
const SCREENSHOT = join(tmpdir(), 'touchstone-html-report.png');
const SCREENSHOT_OPEN = join(tmpdir(), 'touchstone-html-report-open.png');
/** A full-page capture of a long page on a busy 2-core machine takes seconds. */
const SCREENSHOT_TIMEOUT_MS = 30_000;

/** The sample report (every status, a counterexample, marked exchanges) plus what makes a page hard to lay out. */
function browserReport(): Report {
  const sample = sampleReport();
  const digest = (c: string): string => `sha256:${c.repeat(64)}`;
  const passes = Array.from({ length: 24 }, (_, i) => result({ id: `manifests.push.p${i}`, status: 'pass', message: i === 0 ? `stored as ${digest('b')}` : '' }));
  const longUrl = exchange({
    method: 'PUT',
    url: `${sample.target}/v2/${'deep/'.repeat(30)}repo/blobs/uploads/${'c'.repeat(300)}?digest=${digest('d')}`,
    status: 400,
    responseBody: body(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'm'.repeat(600), detail: { digest: digest('e') } }] })),
  });
  const failing = result({
    id: 'manifests.push.digest',
    status: 'fail',
    message: `PUT ${digest('f')}: expected 201, got 400 ${'{"errors":[]}'.repeat(20)}`,
    exchanges: [exchange({ method: 'POST', status: 202 }), longUrl, exchange({ status: 404 })],
    failingExchange: 1,
  });
  return report([...sample.results, ...passes, failing]);
}

/** The few browser globals the page-side functions use (the project compiles without the DOM library). */
interface BrowserWindow {
  readonly innerHeight: number;
  readonly location: { readonly hash: string };
  readonly document: {
    readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
    readonly activeElement: { getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): Iterable<{ open: boolean }>;
  };
  getComputedStyle(element: unknown): { borderTopColor: string; borderTopWidth: string; backgroundColor: string; overflowX: string };
}
interface Box {
  getBoundingClientRect(): { top: number; height: number };
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly outerHTML: string;
  readonly classList: { contains(name: string): boolean };
  readonly parentElement: unknown;
}
const browserWindow = (): BrowserWindow => globalThis as unknown as BrowserWindow;
/** Page-side: whether a <details> is open (passed to evaluate, so it must not use anything around it). */
const isOpen = (element: unknown): boolean => (element as { open?: boolean }).open === true;
/** Page-side: which of several <details> are open. */
const openStates = (elements: unknown[]): boolean[] => elements.map((element) => (element as { open?: boolean }).open === true);

/** Whether `selector`'s first match is on screen (its top within the viewport); waits up to 2 s for a scroll to settle. */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  try {
    await page.locator(selector).first().evaluate(
      (element, timeoutMs) =>
        new Promise<void>((resolve, reject) => {
          const until = Date.now() + timeoutMs;
          const poll = (): void => {
            const box = (element as Box).getBoundingClientRect();
            // A fragment scroll can land a fraction of a pixel off.
            if (box.height > 0 && box.top >= -1 && box.top < (globalThis as unknown as BrowserWindow).innerHeight) resolve();
            else if (Date.now() > until) reject(new Error(`top at ${box.top}`));
            else setTimeout(poll, 50);
          };
          poll();
        }),
      2000,
    );
    return true;
  } catch {
    return false;
  }
}

t.test('the HTML report as a person sees it in Chromium', async (t) => {
  t.setTimeout(150_000);
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    t.fail(`${missingToolMessage(CHROMIUM, 'chromium')} (this test never skips${process.env.CI ? ', and CI is set' : ''})`);
    return;
  }
  const sample = browserReport();
  const dir = await tempDir(t, 'touchstone-html-');
  const file = join(dir, 'report.html');
  await writeFile(file, toHtml(sample));
  const url = pathToFileURL(file).href;

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.setDefaultTimeout(10_000);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  const started = Date.now();
  /** The page as first opened: no fragment, nothing opened by an earlier subtest. */
  const open = async (): Promise<void> => {
    await page.goto('about:blank');
    await page.goto(url, { waitUntil: 'load' });
  };
  await open();

  t.test('nothing is loaded but the file itself', async (t) => {
    t.same(requested.filter((r) => r !== 'about:blank'), [url]);
  });

  t.test('the failures, errors and warnings are listed at the top', async (t) => {
    await open();
    t.ok(await inViewport(page, 'section.problems h2'), 'their heading is on the first screen');
    const listed = await page.locator('section.problems li code').allTextContents();
    const expected = ['error', 'fail', 'warn'].flatMap((status) => sample.results.filter((r) => r.status === status).map((r) => r.id));
    t.same(listed, expected);
  });

  t.test('a link in that list lands on the open detail', async (t) => {
    await open();
    for (const id of ['manifests.push.digest', 'property.model.registry', 'tags.list.sorted']) {
      await page.locator('section.problems a', { hasText: id }).click();
      t.equal(new URL(page.url()).hash, `#check-${id}`, `${id}: the URL names the check`);
      const target = `[id="check-${id}"]`;
      t.ok(await inViewport(page, target), `${id}: scrolled into view`);
      t.ok(await page.locator(`${target} > details`).evaluate(isOpen), `${id}: its detail open`);
      t.ok(await page.locator(`${target} p.message`).isVisible(), `${id}: its message visible`);
    }
  });

  t.test('the areas × statuses table has the right counts, and its links work', async (t) => {
    await open();
    const rows = await page.locator('table.areas tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent?.trim() ?? '')));
    const areas = [...new Set(sample.results.map((r) => r.area))];
    const expected = areas.map((area) => {
      const results = sample.results.filter((r) => r.area === area);
      return [area, ...(['pass', 'fail', 'warn', 'skip', 'error'] as const).map((s) => String(results.filter((r) => r.status === s).length)), String(results.length)];
    });
    t.same(rows, expected);
    t.same(await page.locator('table.areas tfoot td').allTextContents(), ['26', '4', '2', '2', '1', '35'], 'the totals');
    await page.locator('table.areas a[href="#area-blobs.fail"]').click();
    t.ok(await inViewport(page, '[id="area-blobs.fail"]'), 'a fail count lands on those failures');
    const passes = page.locator('[id="area-manifests.pass"]');
    t.notOk(await passes.isVisible(), 'the passes are collapsed before');
    await page.locator('table.areas a[href="#area-manifests.pass"]').click();
    t.ok(await passes.isVisible(), 'a pass count opens the collapsed passes');
    t.ok(await inViewport(page, '[id="area-manifests.pass"]'), 'and shows them');
  });

  t.test('passes collapsed, failures, errors and warnings open', async (t) => {
    await open();
    const passes = page.locator('li.result.s-pass');
    t.equal(await passes.count(), 26);
    const shown = await passes.evaluateAll((all) => (all as unknown as Array<{ id: string; checkVisibility(): boolean }>).filter((e) => e.checkVisibility()).map((e) => e.id));
    t.same(shown, [], 'none of them rendered before opening');
    t.same(await page.locator('details.passes').evaluateAll(openStates), [false, false, false]);
    const problems = page.locator('li.result.s-fail > details, li.result.s-error > details, li.result.s-warn > details');
    t.equal(await problems.count(), 7);
    t.ok((await problems.evaluateAll(openStates)).every(Boolean), 'every problem open');
    t.ok(await page.locator('[id="check-uploads.chunked.order"] p.message').isVisible(), 'a skip shows its reason');
  });

  t.test('the exchange that broke the rule stands out', async (t) => {
    await open();
    const marked = page.locator('details.exchange.failing');
    t.equal(await marked.count(), 3, 'one per failure that names its exchange');
    const culprit = page.locator('[id="check-manifests.push.digest.exchange-2"]');
    t.ok(await culprit.evaluate((d) => (d as unknown as Box).classList.contains('failing') && (d as unknown as { open: boolean }).open), 'marked and open');
    t.match(await culprit.getAttribute('aria-label'), /^the exchange that broke the rule: 2\/3: PUT /, 'named for screen readers');
    t.ok(await culprit.locator('.culprit').isVisible(), '"broke the rule" in words');
    const style = (selector: string): Promise<string[]> => page.locator(selector).evaluate((d) => {
      const s = (globalThis as unknown as BrowserWindow).getComputedStyle(d);
      return [s.borderTopColor, s.borderTopWidth, s.backgroundColor];
    });
    const other = await style('[id="check-manifests.push.digest.exchange-1"]');
    const mine = await style('[id="check-manifests.push.digest.exchange-2"]');
    t.not(mine[0], other[0], 'another border colour');
    t.not(mine[2], other[2], 'another background');
    t.notOk(await page.locator('[id="check-manifests.push.digest.exchange-1"] pre.request').isVisible(), 'the others closed');
  });

  t.test('usable from the keyboard: Tab to a failure link, Enter follows it', async (t) => {
    await open();
    let focused = '';
    for (let i = 0; i < 20 && !focused.startsWith('#check-'); i += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (globalThis as unknown as BrowserWindow).document.activeElement?.getAttribute('href') ?? '');
    }
    t.equal(focused, '#check-uploads.session.harness', 'the first link reached is the first problem');
    await page.keyboard.press('Enter');
    // The fragment navigation lands a moment after the key press on a busy machine: wait for it (bounded).
    await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash === '#check-uploads.session.harness', undefined, { timeout: 5_000 }).catch(() => undefined);
    t.equal(new URL(page.url()).hash, '#check-uploads.session.harness');
    t.ok(await inViewport(page, '[id="check-uploads.session.harness"]'));
    const summary = page.locator('[id="check-uploads.session.harness"] > details > summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    t.notOk(await summary.evaluate((s) => ((s as unknown as Box).parentElement as { open: boolean }).open), 'Enter on a summary closes its detail');
    await page.keyboard.press('Space');
    t.ok(await summary.evaluate((s) => ((s as unknown as Box).parentElement as { open: boolean }).open), 'Space opens it again');
  });

  t.test('no horizontal scrolling at 1280 px, even with everything open', async (t) => {
    await open();
    const fits = (): Promise<[number, number]> => page.evaluate(() => {
      const root = (globalThis as unknown as BrowserWindow).document.documentElement;
      return [root.scrollWidth, root.clientWidth];
    });
    const [closedWidth, viewport] = await fits();
    t.ok(closedWidth <= viewport, `as it opens: ${closedWidth} <= ${viewport}`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: SCREENSHOT_TIMEOUT_MS });
    await page.evaluate(() => {
      for (const details of (globalThis as unknown as BrowserWindow).document.querySelectorAll('details')) details.open = true;
    });
    const [openWidth] = await fits();
    t.ok(openWidth <= viewport, `everything open: ${openWidth} <= ${viewport}`);
    const wide = await page.locator('pre, summary, code, p, td, dd, li').evaluateAll((all) => (all as unknown as Box[]).filter((e) => e.scrollWidth > e.clientWidth + 1 && (globalThis as unknown as BrowserWindow).getComputedStyle(e).overflowX !== 'auto').map((e) => e.outerHTML.slice(0, 80)));
    t.same(wide, [], 'no element wider than its box');
    await page.screenshot({ path: SCREENSHOT_OPEN, fullPage: true, timeout: SCREENSHOT_TIMEOUT_MS });
    t.comment(`screenshots: ${SCREENSHOT} (as it opens), ${SCREENSHOT_OPEN} (everything open); browser checks took ${Date.now() - started} ms`);
  });
});
