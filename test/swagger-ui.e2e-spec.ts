import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, Browser } from 'playwright-core';
import { createServer, Server } from 'node:http';
import { dropPrefix, KEYS, startGateway, TestGateway } from './support/gateway';
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
    // Swagger UI must work under its Content-Security-Policy: no violation reported.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${baseUrl}/docs`);
    await page.locator('button.authorize').first().click();
    // Two schemes take the same header: the API key, and the one the admin operations name.
    const inputs = page.locator('.modal-ux input[type=text]');
    const forms = await inputs.count();
    for (let i = 0; i < forms; i++) {
      await inputs.first().fill(KEYS.all);
      await page.locator('.modal-ux button.authorize').first().click();
    }
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

    expect(violations).toEqual([]);
    // The key is not persisted in the browser.
    const stored = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })',
    );
    expect(stored).not.toContain(KEYS.all);

    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/swagger-ui-try-it-out.png', fullPage: true });
  }, 60000);
});

/** CORS as a browser enforces it: a page on an allowed origin reads the API; another origin cannot. */
describe('CORS in a real browser', () => {
  let pages: Server;
  let allowedOrigin: string;
  let otherOrigin: string;
  let gw: TestGateway;
  let apiUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    // One tiny page server, reached under two origins (127.0.0.1 and localhost).
    pages = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const pagePort = (pages.address() as AddressInfo).port;
    allowedOrigin = `http://127.0.0.1:${pagePort}`;
    otherOrigin = `http://localhost:${pagePort}`;
    gw = await startGateway({ CORS_ORIGINS: allowedOrigin });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    apiUrl = `http://127.0.0.1:${(gw.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    if (gw) await dropPrefix(gw.prefix);
    pages?.close();
  });

  const callFrom = async (origin: string) => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, key }) => {
          try {
            const res = await fetch(`${url}/v1/me`, { headers: { 'X-API-Key': key, 'X-Request-Id': 'cors-1' } });
            return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
          } catch (err) {
            return { error: String(err) };
          }
        },
        { url: apiUrl, key: KEYS.all },
      );
    } finally {
      await page.close();
    }
  };

  it('lets the allowed origin call the API with X-API-Key and read X-Request-Id', async () => {
    expect(await callFrom(allowedOrigin)).toEqual({
      status: 200,
      requestId: 'cors-1',
      body: expect.objectContaining({ name: 'all' }),
    });
  }, 30000);

  it('blocks any other origin', async () => {
    expect(await callFrom(otherOrigin)).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
  }, 30000);
});
