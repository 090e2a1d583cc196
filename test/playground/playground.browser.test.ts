/**
 * The playground as a person uses it, in Debian's chromium (/usr/bin/chromium) driven by
 * playwright-core, headless, at 1280 × 800, against `startPlayground()` on 127.0.0.1:
 * - the chunked-upload walkthrough, walked with the keyboard alone (Enter on Send, Enter on Next),
 *   runs to its end, and its third step shows the 416 for the chunk sent out of order;
 * - a request edited before sending gets the registry's answer to the edit (a blob that no longer
 *   matches its digest: 400 DIGEST_INVALID), shown as the person's experiment, not a deviation;
 *   Back and Next keep each step's request and response;
 * - a push by the real skopeo, from outside the page, appears in the live log and in the store,
 *   the manifest with links to its config and layers; a request by curl appears in the log too;
 * - GC explained lists what a prepared store keeps and collects, and GC then does exactly that;
 * - a fault switched on makes its check fail on the page, with the rule and the exchange that
 *   broke it; switched off, the check passes;
 * - nothing is loaded from anywhere but the playground, and no panel scrolls sideways.
 * With UPDATE_SCREENSHOT=1 it writes docs/playground.png (the README's picture). A missing
 * chromium or skopeo fails the test with the install command; it never skips.
 */
import t from 'tap';
import { access, constants, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlayground } from '../../playground/server.ts';
import { DEFAULT_GC_GRACE_MS } from '../../reference/registry.ts';
import { call } from '../helpers/registry.ts';
import { config, imageManifest, layer, pushBlob, pushImage, pushManifest } from '../helpers/oci.ts';
import { writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { assertSucceeded, createSkopeo, missingToolMessage, requireTool, run, tempDir } from '../helpers/tools.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };
const SCREENSHOT = resolve(import.meta.dirname, '../../docs/playground.png');

/** Page-side: the id of the focused element. */
const focusedId = (): string => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? '';
/** Page-side: whether the page is wider than the window. */
const scrollsSideways = (): boolean => {
  const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
  return root.scrollWidth > root.clientWidth;
};

async function open(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#live-status.on');
}

t.test('the playground in Chromium', async (t) => {
  t.setTimeout(300_000);
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    t.fail(`${missingToolMessage(CHROMIUM, 'chromium')} (this test never skips${process.env.CI ? ', and CI is set' : ''})`);
    return;
  }
  const play = await startPlayground();
  t.teardown(() => play.close());
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.setDefaultTimeout(20_000);
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${play.url}/`) && url !== 'about:blank' && !url.startsWith('data:')) foreign.push(url);
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  t.test('the chunked upload, walked with the keyboard: 416 for the chunk out of order', async (t) => {
    await open(page, `${play.url}/#walkthroughs?id=chunked`);
    await page.waitForSelector('#step-send');
    await page.focus('#step-send');
    const verdicts: string[] = [];
    for (let step = 1; step <= 8; step += 1) {
      await page.waitForSelector(`#step-title:text("Step ${step} of 8")`);
      await page.keyboard.press('Enter');
      const verdict = page.locator('#step-result .verdict');
      await verdict.waitFor();
      verdicts.push((await verdict.textContent()) ?? '');
      if (step === 3) {
        t.match(verdicts[2], /^✓ 416: what the spec allows here \(416\)/, 'step 3: the chunk out of order gets 416');
        t.match(await page.locator('#step-result .response .status').textContent(), /^416 Range Not Satisfiable/);
        t.match(await page.locator('.step-right').textContent(), /If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested Range Not Satisfiable code/, 'next to the spec sentence');
        t.match(await page.locator('.step-right').textContent(), /checked by blobs\.upload\.chunked-out-of-order/);
        const outline = await page.locator('#step-next').evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }).getComputedStyle(e).outlineStyle);
        t.not(outline, 'none', 'the focused button shows its focus');
        if (process.env.UPDATE_SCREENSHOT === '1') {
          // The step, its response and the spec beside it, in one laptop screen.
          await page.locator('#step-title').evaluate((e) => (e as unknown as { scrollIntoView(): void }).scrollIntoView());
          await page.screenshot({ path: SCREENSHOT, timeout: 30_000 });
          t.comment(`screenshot written to ${SCREENSHOT}`);
        }
      }
      if (step < 8) {
        t.equal(await page.evaluate(focusedId), 'step-next', `after Send, the focus is on Next (step ${step})`);
        await page.keyboard.press('Enter');
      }
    }
    t.same(verdicts.map((v) => v.slice(0, 5)), ['✓ 202', '✓ 202', '✓ 416', '✓ 204', '✓ 202', '✓ 202', '✓ 201', '✓ 200'], 'every step as the spec allows, to the end');
    t.equal(await page.locator('.stepper li.ok').count(), 8, 'every step marked done');
    t.notOk(await page.evaluate(scrollsSideways), 'no sideways scrolling');
  });

  t.test('a request edited before sending is the person\'s experiment; Back and Next keep what each step got', async (t) => {
    await open(page, `${play.url}/#walkthroughs?id=monolithic`);
    for (let step = 1; step <= 2; step += 1) {
      await page.waitForSelector(`#step-title:text("Step ${step} of 7")`);
      await page.click('#step-send');
      await page.locator('#step-result .verdict').waitFor();
      await page.click('#step-next');
    }
    await page.waitForSelector('#step-title:text("Step 3 of 7")');
    const written = await page.inputValue('#req-body');
    const edited = `J${written.slice(1)}`;
    await page.fill('#req-body', edited);
    await page.click('#step-send');
    const verdict = page.locator('#step-result .verdict');
    await verdict.waitFor();
    t.match(await verdict.textContent(), /^✎ 400 for your edited request; the step as written expects 201/, 'judged as an edit, not as a registry deviating');
    t.match(await page.locator('#step-result .response').textContent(), /DIGEST_INVALID/, 'the digest no longer matches the edited body');
    t.match(await page.locator('#step-result .request').textContent(), edited.trim(), 'the edited body was sent');
    t.match((await page.locator('.stepper li').nth(2).getAttribute('class')) ?? '', /\bedited\b/, 'the stepper marks the step as edited');
    await page.click('#step-back');
    await page.waitForSelector('#step-title:text("Step 2 of 7")');
    t.match(await page.locator('#step-result .verdict').textContent(), /^✓ 202/, 'Back shows what step 2 got');
    await page.click('#step-next');
    await page.waitForSelector('#step-title:text("Step 3 of 7")');
    t.equal(await page.inputValue('#req-body'), edited, 'Next comes back to the edit');
    t.match(await page.locator('#step-result .verdict').textContent(), /^✎ 400/);
  });

  t.test('a skopeo push from outside shows in the live log and in the store', async (t) => {
    if (!(await requireTool(t, 'skopeo', 'skopeo'))) return;
    await open(page, `${play.url}/#log`);
    const skopeo = await createSkopeo(t);
    const layout = await writeSingleImageLayout(join(await tempDir(t), 'oci'), { tag: 'v1', seed: 'playground' });
    const host = new URL(play.url).host;
    const pushed = await skopeo(['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${host}/outside/single:v1`]);
    if (!assertSucceeded(t, pushed, 'skopeo copy into the playground')) return;
    const put = page.locator('li .entry summary', { hasText: '/v2/outside/single/manifests/v1' }).filter({ hasText: 'PUT' });
    await put.waitFor();
    t.match(await put.locator('.client').textContent(), /^skopeo\//, 'the client: skopeo');
    t.equal(await put.locator('.status').textContent(), '201');
    t.equal(await put.locator('.endpoint').textContent(), 'end-7');
    t.equal(await put.locator('.section').textContent(), 'Pushing Manifests');
    if (!(await requireTool(t, 'curl', 'curl'))) return;
    const curl = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${play.url}/v2/outside/single/tags/list`]);
    t.equal(curl.stdout, '200', 'curl lists the tags');
    const listed = page.locator('li .entry summary', { hasText: '/v2/outside/single/tags/list' }).filter({ hasText: 'curl/' });
    await listed.waitFor();
    t.equal(await listed.locator('.endpoint').textContent(), 'end-8a', 'curl too, with its endpoint id');
    await page.fill('#log-filter', 'PATCH');
    await page.selectOption('#log-source', 'outside');
    t.ok((await page.locator('.entry summary .method').allTextContents()).every((m) => m === 'PATCH'), 'the filters narrow the log…');
    t.ok((await page.locator('.entry summary .client').allTextContents()).every((c) => c.startsWith('skopeo/')), '…to what skopeo sent');
    const patches = page.locator('.entry summary', { hasText: 'PATCH' });
    t.equal(await patches.count(), 2, 'one streamed PATCH per blob');
    for (let i = 0; i < 2; i += 1) await patches.nth(i).click();
    await page.locator('.entry[open] .exchange').nth(1).waitFor();
    const bodies = (await page.locator('.entry[open] .request .body').allTextContents()).join('\n');
    t.match(bodies, /of binary; the first 64 bytes/, 'the layer, shortened');
    t.match(bodies, /"org.example.seed": "playground"/, 'the config, as JSON');
    t.notOk(await page.evaluate(scrollsSideways), 'no sideways scrolling with an entry open');

    await page.click('nav.sections a[href="#store"]');
    await page.locator('#repo-list a', { hasText: 'outside/single' }).click();
    const manifest = layout.image.manifest.digest;
    await page.locator(`#repo-main a[title="${manifest}"]`).first().click();
    const item = page.locator('section.item');
    await item.waitFor();
    t.match(await item.locator('h3').textContent(), manifest, 'the manifest skopeo pushed');
    t.match(await item.textContent(), /tags: v1/);
    const links = await item.locator('pre.json a.digest').allTextContents();
    t.same(links.map((l) => JSON.parse(l) as string).sort(), [layout.image.config.digest, ...layout.image.layers.map((l) => l.blob.digest)].sort(), 'its config and layer are links');
    await item.locator('pre.json a.digest', { hasText: layout.image.config.digest }).click();
    await page.locator('section.item h3', { hasText: 'Blob' }).waitFor();
    t.match(await page.locator('section.item').textContent(), /config of sha256:/, 'the config, with its role');
    t.match(await page.locator('#repo-disk pre.index-json').textContent(), /"org.opencontainers.image.ref.name": "v1"/, 'index.json as stored');
    t.notOk(await page.evaluate(scrollsSideways));
  });

  t.test('GC explained: the plan for a prepared store, then GC does exactly that', async (t) => {
    const repo = 'gc/prepared';
    const tagged = await pushImage(play.url, repo, 'v1', 'browser-gc');
    const extra = layer('only-untagged');
    await pushBlob(play.url, repo, extra);
    const untagged = imageManifest(tagged.config, [extra]);
    await pushManifest(play.url, repo, untagged.digest, untagged);
    const orphan = layer('orphan');
    await pushBlob(play.url, repo, orphan);
    await open(page, `${play.url}/#gc`);
    await page.locator('button', { hasText: 'past the grace period' }).click();
    t.equal(await page.inputValue('#gc-advance'), String(DEFAULT_GC_GRACE_MS / 1000 + 60));
    await page.click('#gc-explain');
    const rows = page.locator(`#gc-items tr[data-repository="${repo}"]`);
    await rows.first().waitFor();
    const plan = Object.fromEntries(await rows.evaluateAll((trs) => trs.map((tr) => [(tr as unknown as { dataset: { digest: string } }).dataset.digest, (tr as unknown as { querySelector(s: string): { textContent: string } }).querySelector('td.plan').textContent])));
    const kept = [tagged.manifest, tagged.config, ...tagged.layers].map((c) => c.digest);
    const going = [untagged.digest, extra.digest, orphan.digest];
    t.same(Object.keys(plan).sort(), [...kept, ...going].sort(), 'every item of the repository');
    for (const digest of kept) t.equal(plan[digest], 'stays', `${digest.slice(0, 16)} stays`);
    for (const digest of going) t.equal(plan[digest], 'goes', `${digest.slice(0, 16)} goes`);
    t.match(await rows.filter({ has: page.locator(`a[title="${tagged.layers[0]!.digest}"]`) }).textContent(), /config or layer of sha256:.* ← tagged "v1"/, 'why, back to the tag');

    await page.click('#gc-run');
    await page.locator('#gc-verdict').waitFor();
    t.match(await page.locator('#gc-verdict').textContent(), /^✓ GC did what the plan said/);
    const happened = Object.fromEntries(await rows.evaluateAll((trs) => trs.map((tr) => [(tr as unknown as { dataset: { digest: string } }).dataset.digest, (tr as unknown as { querySelector(s: string): { textContent: string } }).querySelector('td.happened').textContent])));
    for (const digest of kept) t.equal(happened[digest], 'stayed');
    for (const digest of going) t.equal(happened[digest], 'went');
    t.equal((await call(play.url, 'HEAD', `/v2/${repo}/blobs/${orphan.digest}`)).status, 404, 'the orphan is gone');
    t.equal((await call(play.url, 'HEAD', `/v2/${repo}/blobs/${tagged.layers[0]!.digest}`)).status, 200, 'the tagged image pulls');
    t.notOk(await page.evaluate(scrollsSideways));
  });

  t.test('a fault switched on makes its check fail on the page; off, it passes', async (t) => {
    await open(page, `${play.url}/#faults`);
    const toggle = page.locator('#fault-chunk-out-of-order-accepted');
    await toggle.waitFor();
    await toggle.focus();
    await page.keyboard.press('Space');
    await page.locator('#fault-banner:not([hidden])').waitFor();
    t.match(await page.locator('#fault-banner').textContent(), /chunk-out-of-order-accepted/, 'the header says a fault is on');
    t.ok(play.registry.faults?.has('chunk-out-of-order-accepted'), 'switched on in the running registry');
    await page.click('button[data-run="chunk-out-of-order-accepted"]');
    const verdict = page.locator('#lesson-verdict');
    await verdict.waitFor({ timeout: 60_000 });
    t.match(await verdict.textContent(), /did not pass with chunk-out-of-order-accepted switched on/);
    const result = page.locator('li.result[data-check="blobs.upload.chunked-out-of-order"]');
    t.equal(await result.locator('.badge').textContent(), 'FAIL');
    t.match(await result.locator('.rule').textContent(), /If a chunk is uploaded out of order, the registry MUST respond with a 416/, 'the rule it breaks');
    t.match(await result.locator('.failing .request .line').textContent(), /^PATCH /, 'the exchange that broke it: the PATCH…');
    t.equal(await result.locator('.failing .response .status strong').textContent(), '202', '…accepted with 202');
    if (process.env.UPDATE_SCREENSHOT === '1') await page.screenshot({ path: join(await tempDir(t), 'lesson.png'), fullPage: true, timeout: 30_000 });

    await toggle.focus();
    await page.keyboard.press('Space');
    await page.locator('#fault-banner[hidden]').waitFor({ state: 'attached' });
    t.notOk(play.registry.faults?.has('chunk-out-of-order-accepted'), 'switched off');
    await page.click('button[data-run="chunk-out-of-order-accepted"]');
    await page.locator('#lesson-verdict', { hasText: 'switched off' }).waitFor({ timeout: 60_000 });
    t.equal(await page.locator('li.result[data-check="blobs.upload.chunked-out-of-order"] .badge').textContent(), 'PASS', 'switched off, it passes');
  });

  t.test('nothing from anywhere else, no error on the page', async (t) => {
    t.same(foreign, [], 'every request went to the playground');
    t.same(errors, [], 'no uncaught error');
  });
});

// The screenshot is made by the test run; a copy next to the other temp files helps a person compare.
t.teardown(async () => {
  if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(SCREENSHOT, join('/tmp', 'touchstone-playground.png')).catch(() => undefined);
});
