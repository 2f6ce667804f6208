import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, Browser } from 'playwright-core';
import { KEYS } from './support/gateway';
import { startStack, TestStack } from './support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A person in Swagger UI: authorize with a key, "Try it out" on GET /v1/me, see the 200. */
describe('Swagger UI in a real browser', () => {
  let stack: TestStack;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const address = stack.gw.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${address.port}`;
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
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('authorizes with an API key and runs "Try it out" on GET /v1/me', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/docs`);
    await page.locator('button.authorize').first().click();
    await page.locator('.modal-ux input[type=text]').first().fill(KEYS.all);
    await page.locator('.modal-ux button.authorize').first().click();
    await page.locator('.modal-ux button.btn-done').first().click();

    const operation = page.locator('#operations-operations-getMe');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();

    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 15000 });
    expect((await status.innerText()).trim()).toBe('200');
    await expect(operation.locator('.live-responses-table .microlight').first().innerText()).resolves.toContain(
      '"name": "all"',
    );

    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/swagger-ui-try-it-out.png', fullPage: true });
  }, 60000);
});
