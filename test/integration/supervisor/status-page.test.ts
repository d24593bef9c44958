/**
 * The status page served by a `--processes 2` supervisor shows the container: both engine
 * processes in its processes table, and the process that owns each partition, in a real headless
 * Chromium with no page error.
 */
import { type Browser, chromium } from 'playwright-core';
import { startCli } from '../../helpers/cli';
import { freshTopics, randomName, sleep } from '../../helpers/kafka';
import { waitBalanced } from '../../helpers/supervisor';

jest.setTimeout(90_000);

const CHROMIUM = process.env.TURBINE_CHROMIUM ?? '/usr/bin/chromium';

async function waitForAsync(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

test('the page lists both processes and which one owns each partition', async () => {
  const { input, output, drop } = await freshTopics('sup-page', 4);
  const engine = startCli({ input, output, group: randomName('g') }, ['--processes', '2', '--pool-size', '2']);
  let browser: Browser | undefined;
  try {
    await waitBalanced(engine.port, 2, 2);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://127.0.0.1:${engine.port}/`);
    const processRows = page.locator('#processes tbody tr');
    await waitForAsync('two process rows', async () => (await processRows.count()) === 2);
    expect(await page.isVisible('#processes-card')).toBe(true);
    expect(await page.locator('#processes tbody tr td:nth-child(3)').allTextContents()).toEqual(['running', 'running']);
    const owners = page.locator('#partitions tbody tr td:nth-child(6)');
    await waitForAsync('four partitions with their process', async () => (await owners.count()) === 4);
    expect((await owners.allTextContents()).sort()).toEqual(['0', '0', '1', '1']);
    expect(await owners.first().isVisible()).toBe(true);
    expect(await page.textContent('#route')).toContain('2 processes');
    expect(pageErrors).toEqual([]);
    engine.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
  } finally {
    await browser?.close();
    engine.child.kill('SIGKILL');
    await drop();
  }
});
