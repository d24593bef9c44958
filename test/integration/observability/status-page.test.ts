/**
 * The status page at `/` renders live figures in a real headless Chromium: while load runs the
 * consumed counter it shows keeps rising, the lag table has one row per input partition, and
 * the page loads nothing but itself and status.json. Saves a screenshot to .tmp/status-page.png,
 * or to docs/status-page.png with UPDATE_DOCS_SCREENSHOT=1 (so a test run leaves the checkout clean).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { freshTopics, makeEngine, produceRecords, ROOT, randomName, sleep, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(90_000);

const CHROMIUM = process.env.TURBINE_CHROMIUM ?? '/usr/bin/chromium';

async function waitForAsync(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

test('the status page shows numbers moving under load', async () => {
  const { input, output, drop } = await freshTopics('status', 3);
  const count = 15_000;
  await produceRecords(input, count);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  // 300 µs per record on 2 threads and a small in-flight bound keep consumption going for several
  // seconds (about 15 s on a 2-core machine), so successive polls of the page see the counters move.
  const engine = makeEngine(
    { input, output, group: randomName('g'), metricsPort: port, metricsHost: '127.0.0.1', maxInFlightRecords: 1000 },
    { SPIN_US: '300' },
  );
  let browser: Browser | undefined;
  try {
    await engine.start();
    // launch() gives the browser a fresh temporary profile and deletes it on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    // Polled from here: string predicates inside the page would need eval, which its CSP forbids.
    const readConsumed = async () => Number((await page.textContent('#consumed'))?.replace(/\D/g, '') || '0');
    const consumedIs = (check: (n: number) => boolean) =>
      waitForAsync('the page to show consumption', async () => check(await readConsumed()));

    // The first render after consumption began, then a couple of seconds later.
    await consumedIs((n) => n > 0);
    const first = await readConsumed();
    await sleep(2500);
    const second = await readConsumed();
    expect(first).toBeLessThan(count);
    expect(second).toBeGreaterThan(first);

    const rows = page.locator('#partitions tbody tr');
    await waitForAsync('three partition rows', async () => (await rows.count()) === 3);
    expect(await page.locator('#partitions tbody tr td:nth-child(2)').allTextContents()).toEqual(['0', '1', '2']);
    const lagCells = page.locator('#partitions tbody tr td:nth-child(3)');
    await waitForAsync('a lag figure for every partition', async () =>
      (await lagCells.allTextContents()).every((text) => /^[\d,]+$/.test(text)),
    );
    expect(await page.textContent('#state')).toBe('running');
    expect(await page.textContent('#consumed-rate')).toMatch(/^[\d,]+$/);
    expect(await page.textContent('#events')).toContain(`assigned ${input} [0, 1, 2]`);
    // Mid-run, so the picture shows lag, records in flight and a busy pool.
    const shot = process.env.UPDATE_DOCS_SCREENSHOT === '1' ? join(ROOT, 'docs') : join(ROOT, '.tmp');
    mkdirSync(shot, { recursive: true });
    await page.screenshot({ path: join(shot, 'status-page.png'), fullPage: true });

    await waitProcessed(engine, count);
    await consumedIs((n) => n === count);
    expect(pageErrors).toEqual([]);
    expect(new Set(requested)).toEqual(new Set(['/', '/status.json']));
  } finally {
    await browser?.close();
    await engine.close();
    await drop();
  }
});
