import { once } from 'node:events';
import { AddressInfo, connect, Socket } from 'node:net';
import { dropPrefix, expectProblem, json, KEYS, startGateway, TestGateway } from './support/gateway';

/**
 * HTTP-layer rules of the contract's conventions: 405 with Allow, JSON-only bodies, query-string
 * rules on every route, a JSON depth limit, and problem+json for what Node's HTTP parser rejects.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Response {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** expectProblem, plus: the request id is really there (not just equal when both are absent). */
function problem(res: Response, status: number, code: string): Record<string, unknown> {
  const body = expectProblem(res, status, code);
  expect(res.headers['x-request-id']).toEqual(expect.stringMatching(/^[A-Za-z0-9._-]{1,128}$/));
  return body;
}

describe('HTTP semantics (real Redis, no upstream)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });

  const get = (url: string, headers: Record<string, string> = { 'x-api-key': KEYS.all }) =>
    gw.app.inject({ method: 'GET', url, headers });
  const postJson = (url: string, payload: string) =>
    gw.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json' },
      payload,
    });

  describe('405 for a known path with a method it does not serve', () => {
    it.each([
      ['POST', '/v1/me', 'GET, HEAD'],
      ['DELETE', '/v1/meeting/terminals/123/status', 'GET, HEAD'],
      ['GET', '/v1/meeting/terminals/statuses', 'POST'],
      ['PUT', '/v1/meeting/devices/HWSN0001/activation-code/reset', 'POST'],
      ['PATCH', '/v1/contact-center/softphones', 'GET, HEAD'],
      ['POST', '/health/live', 'GET, HEAD'],
      ['OPTIONS', '/v1/contact-center/calls/42', 'GET, HEAD'],
    ] as const)('%s %s -> 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, url, allow) => {
      const res = await gw.app.inject({ method, url, headers: { 'x-api-key': KEYS.all } });
      const body = problem(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe(allow);
      expect(body.instance).toBe(url);
    });

    it('answers 405 before authentication, HEAD on a POST-only path included', async () => {
      problem(await gw.app.inject({ method: 'DELETE', url: '/v1/me' }), 405, 'METHOD_NOT_ALLOWED');
      const head = await gw.app.inject({ method: 'HEAD', url: '/v1/meeting/terminals/statuses' });
      expect(head.statusCode).toBe(405);
      expect(head.headers.allow).toBe('POST');
      expect(head.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(head.headers['x-request-id']).toMatch(UUID);
    });

    it('keeps HEAD on GET routes as Fastify serves it', async () => {
      const res = await gw.app.inject({ method: 'HEAD', url: '/health/live' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    });

    it.each([
      ['GET', '/v1/nothing-here'],
      ['POST', '/v1/nothing-here'],
      ['DELETE', '/v1/meeting/terminals/123'],
      ['GET', '/v1/meeting/terminals//status'],
    ] as const)('%s %s (unknown path) stays 404 NOT_FOUND', async (method, url) => {
      const res = await gw.app.inject({ method, url, headers: { 'x-api-key': KEYS.all } });
      problem(res, 404, 'NOT_FOUND');
      expect(res.headers.allow).toBeUndefined();
    });
  });

  describe('415 for any request body that is not application/json', () => {
    const url = '/v1/meeting/terminals/statuses';
    it.each([
      ['text/plain', '{"numbers":["+991116173924"]}'],
      ['application/x-www-form-urlencoded', 'numbers=%2B991116173924'],
      [
        'multipart/form-data; boundary=xyz',
        '--xyz\r\nContent-Disposition: form-data; name="numbers"\r\n\r\n1\r\n--xyz--',
      ],
      ['application/xml', '<numbers><n>1</n></numbers>'],
      ['application/jsonx', '{"numbers":["+991116173924"]}'],
    ])('%s -> 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, payload) => {
      const res = await gw.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': KEYS.all, 'content-type': contentType },
        payload,
      });
      const body = problem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(body.detail).toMatch(/application\/json/);
    });

    it('a body without content-type -> 415', async () => {
      const res = await gw.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': KEYS.all },
        payload: Buffer.from('{"numbers":["+991116173924"]}'),
      });
      problem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('application/json (with a charset) is parsed and reaches validation', async () => {
      const res = await gw.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json; charset=utf-8' },
        payload: '{"numbers":[]}',
      });
      const body = problem(res, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([expect.objectContaining({ field: 'numbers' })]);
    });
  });

  describe('query parameters', () => {
    const terminals = '/v1/contact-center/terminals?eid=87800001';
    const softphones = '/v1/contact-center/softphones';

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'x', 'limit[]', 'Limit'])(
      'an unknown name (%s) is a 400 naming it, on routes with and without a query DTO',
      async (name) => {
        const q = `${encodeURIComponent(name)}=1`;
        for (const url of [
          `${terminals}&${q}`,
          `${softphones}?${q}`,
          `/v1/me?${q}`,
          `/v1/meeting/terminals/123/status?${q}`,
          `/v1/contact-center/calls/42?${q}`,
          `/health/live?${q}`,
          `/health/ready?${q}`,
          `/metrics?${q}`,
        ]) {
          const body = problem(await get(url), 400, 'VALIDATION_FAILED');
          expect(body.errors).toEqual([{ field: name, message: 'is not a query parameter of this route' }]);
        }
        const post = await gw.app.inject({
          method: 'POST',
          url: `/v1/meeting/devices/HWSN0001/activation-code/reset?${q}`,
          headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json' },
          payload: '{"email":"a@b.co"}',
        });
        expect(problem(post, 400, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ field: name })]);
      },
    );

    it('names every unknown parameter, with an empty value or none', async () => {
      const body = problem(await get(`${softphones}?a=&b&__proto__[x]=1`), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([
        { field: 'a', message: 'is not a query parameter of this route' },
        { field: 'b', message: 'is not a query parameter of this route' },
        { field: '__proto__[x]', message: 'is not a query parameter of this route' },
      ]);
    });

    it.each([
      [`${softphones}?limit=1&limit=2`, 'limit'],
      [`${softphones}?offset=0&include=credentials&offset=0`, 'offset'],
      [`${terminals}&eid=87800002`, 'eid'],
      [`${terminals}&callCenterId=1&callCenterId=1`, 'callCenterId'],
    ])('%s: a parameter given twice is a 400 naming %s', async (url, field) => {
      const body = problem(await get(url), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field, message: 'was given more than once' }]);
    });

    it.each([
      ['abc', 'must be an integer'],
      ['1.5', 'must be an integer'],
      ['1e3', 'must be an integer'],
      ['0x10', 'must be an integer'],
      ['', 'must be an integer'],
      ['0', 'must be between 1 and 100'],
      ['101', 'must be between 1 and 100'],
      ['99999999999999999999', 'must be an integer'],
    ])('limit=%s -> 400 "%s"', async (value, message) => {
      for (const url of [`${softphones}?limit=${value}`, `${terminals}&limit=${value}`]) {
        const body = problem(await get(url), 400, 'VALIDATION_FAILED');
        expect(body.errors).toEqual([{ field: 'limit', message }]);
      }
    });

    it('reports each bad field once, with the rule it broke', async () => {
      const body = problem(await get(`${terminals}&limit=abc&offset=-1&callCenterId=x`), 400, 'VALIDATION_FAILED');
      expect(body.errors).toHaveLength(3);
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { field: 'limit', message: 'must be an integer' },
          { field: 'offset', message: 'must be between 0 and 1000000' },
          { field: 'callCenterId', message: expect.stringMatching(/^must be an integer/) },
        ]),
      );
    });

    it('picks presence, then type, then range for body fields too', async () => {
      const reset = '/v1/meeting/devices/HWSN0001/activation-code/reset';
      const missing = problem(await postJson(reset, '{}'), 400, 'VALIDATION_FAILED');
      expect(missing.errors).toEqual([{ field: 'email', message: 'at least one of email and sms is required' }]);
      const wrongType = problem(await postJson(reset, '{"email":123}'), 400, 'VALIDATION_FAILED');
      expect(wrongType.errors).toEqual([{ field: 'email', message: 'must be an email' }]);
    });

    it('lets declared parameters through to the route', async () => {
      // No CC-Management upstream is configured here: passing the query rules ends in 503.
      const res = await get(`${softphones}?limit=10&offset=0&include=credentials`);
      problem(res, 503, 'UPSTREAM_UNAVAILABLE');
      expect((await get('/v1/me')).statusCode).toBe(200);
      expect((await get('/v1/me?')).statusCode).toBe(200);
    });

    it('leaves the Swagger UI and its assets alone (they are not API routes)', async () => {
      for (const url of ['/docs?x=1', '/docs/openapi.json?v=2', '/docs/swagger-ui.css?v=3']) {
        expect((await get(url, {})).statusCode).toBe(200);
      }
      expect(json<{ paths: object }>(await get('/docs/openapi.json?v=2', {})).paths).toBeDefined();
    });

    it.each([
      '/v1/contact-center/softphones?limit=%E0%A4%A',
      '/v1/contact-center/softphones?%ZZ=1',
      '/v1/me?x=%',
      '/v1/contact-center/terminals?eid=8780%FF',
    ])('bad percent-encoding in the query (%s) -> 400 BAD_REQUEST', async (url) => {
      const body = problem(await get(url), 400, 'BAD_REQUEST');
      expect(body.detail).toMatch(/percent-encoding/);
    });

    it.each(['/v1/meeting/terminals/%E0%A4%A/status', '/v1/contact-center/calls/%FF', '/v1/me%'])(
      'bad percent-encoding in the path (%s) -> 400 BAD_REQUEST, nosniff and no-store',
      async (url) => {
        const res = await get(url);
        problem(res, 400, 'BAD_REQUEST');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['cache-control']).toBe('no-store');
      },
    );
  });

  describe('JSON nesting', () => {
    const url = '/v1/meeting/terminals/statuses';
    /** `{"numbers": [[...]]}` nested `depth` levels deep, the outer object included. */
    const nested = (depth: number) => `{"numbers":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

    it('33 levels -> 400 BAD_REQUEST naming the limit', async () => {
      const body = problem(await postJson(url, nested(33)), 400, 'BAD_REQUEST');
      expect(body.detail).toBe('JSON nested deeper than 32 levels');
    });

    it.each([
      ['5,000 arrays', nested(5000)],
      ['5,000 objects', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
      ['5,000 unclosed brackets', '['.repeat(5000)],
    ])('%s -> 400 BAD_REQUEST, not 500', async (_name, payload) => {
      const body = problem(await postJson(url, payload), 400, 'BAD_REQUEST');
      expect(body.detail).toBe('JSON nested deeper than 32 levels');
    });

    it('32 levels is parsed: whatever fails then is the DTO, not depth', async () => {
      const body = problem(await postJson(url, nested(32)), 400, 'VALIDATION_FAILED');
      expect(body.detail).not.toMatch(/nested/);
      expect(body.errors).toEqual([expect.objectContaining({ field: expect.stringMatching(/^numbers/) })]);
    });

    it('brackets inside strings do not count', async () => {
      const body = problem(
        await postJson(url, JSON.stringify({ numbers: ['['.repeat(40)] })),
        400,
        'VALIDATION_FAILED',
      );
      expect(body.errors).toEqual([expect.objectContaining({ field: 'numbers[0]' })]);
    });

    it('refuses __proto__ keys and malformed or empty JSON with 400 BAD_REQUEST', async () => {
      problem(await postJson(url, '{"numbers":["+1"],"__proto__":{"admin":true}}'), 400, 'BAD_REQUEST');
      problem(await postJson(url, '{"numbers":["+1"],"constructor":{"prototype":{}}}'), 400, 'BAD_REQUEST');
      problem(await postJson(url, '{"numbers": ['), 400, 'BAD_REQUEST');
      problem(await postJson(url, ''), 400, 'BAD_REQUEST');
    });
  });

  describe('what Node rejects before routing, over a real socket', () => {
    let port: number;
    beforeAll(async () => {
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      port = (gw.app.getHttpServer().address() as AddressInfo).port;
    });

    /** Sends raw bytes and reads until the server closes (or a keep-alive response is complete). */
    async function raw(request: string, onSocket?: (client: Socket) => void): Promise<Response> {
      const client = connect(port, '127.0.0.1');
      await once(client, 'connect');
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      // The server may close while we still write (e.g. headers too large): that is expected.
      client.on('error', () => undefined);
      const closed = once(client, 'close');
      if (request) client.write(request);
      onSocket?.(client);
      const text = await Promise.race([
        closed.then(() => Buffer.concat(chunks).toString('latin1')),
        new Promise<string>((resolve) => {
          client.on('data', () => {
            const t = Buffer.concat(chunks).toString('latin1');
            const length = /\r\ncontent-length: (\d+)/i.exec(t);
            const end = t.indexOf('\r\n\r\n');
            if (length && end !== -1 && t.length - end - 4 >= Number(length[1])) resolve(t);
          });
        }),
      ]);
      client.destroy();
      const end = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, unknown> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      return { statusCode: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) };
    }

    function parserProblem(res: Response, status: number, code: string) {
      const body = problem(res, status, code);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.headers.connection).toBe('close');
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
      expect(gw.logs.some((l) => l.includes(String(body.requestId)))).toBe(true);
      return body;
    }

    it('oversized headers -> 431 REQUEST_HEADER_FIELDS_TOO_LARGE', async () => {
      const res = await raw(`GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      const body = parserProblem(res, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
      expect(body.instance).toBe('/v1/me');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('a parser rejection outside /v1 carries nosniff but no Cache-Control', async () => {
      const res = await raw(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      parserProblem(res, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBeUndefined();
    });

    it.each([
      ['a control character in a header value', 'GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n'],
      ['a space in a header name', 'GET /v1/me HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n'],
      ['a malformed request line', 'GET /v1/me HTTP/9.9\r\nHost: x\r\n\r\n'],
      ['a header line without a colon', 'GET /v1/me HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n'],
    ])('%s -> 400 BAD_REQUEST', async (_name, request) => {
      parserProblem(await raw(request), 400, 'BAD_REQUEST');
    });

    it('a client too slow to send its request -> 408 REQUEST_TIMEOUT when Node reports it', async () => {
      // Node's own timers take tens of seconds; emit the error Node emits when they fire.
      const server = gw.app.getHttpServer();
      const serverSide = once(server, 'connection');
      const res = await raw('GET /v1/me HTTP/1.1\r\nHost: x\r\n', () => {
        void serverSide.then(([socket]) => {
          const err = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
          server.emit('clientError', err, socket);
        });
      });
      parserProblem(res, 408, 'REQUEST_TIMEOUT');
    });

    it('HTTP/1.1 without Host -> 400 BAD_REQUEST; HTTP/1.0 without Host is fine', async () => {
      const res = await raw('GET /v1/me HTTP/1.1\r\nX-API-Key: ' + KEYS.all + '\r\n\r\n');
      const body = problem(res, 400, 'BAD_REQUEST');
      expect(body.detail).toMatch(/Host/);
      const old = await raw('GET /v1/me HTTP/1.0\r\nX-API-Key: ' + KEYS.all + '\r\n\r\n');
      expect(old.statusCode).toBe(200);
    });

    it('keeps serving after parser errors', async () => {
      const res = await raw(`GET /v1/me HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.all}\r\nConnection: close\r\n\r\n`);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ name: 'all' });
    });
  });
});
