import { ArgumentsHost, BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError } from './app-error';
import { ERROR_SHAPES, ErrorCode } from './error-code';
import { ProblemFilter } from './problem.filter';

function fakeHost() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  const request = { id: 'req-1', url: '/v1/x?y=1' };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('ProblemFilter', () => {
  it('gives every error code a 4xx or 5xx status and a title', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_SHAPES[code].status).toBeGreaterThanOrEqual(400);
      expect(ERROR_SHAPES[code].title).toBeTruthy();
    }
  });

  it('renders an unexpected error as 500 INTERNAL without internals', () => {
    const { host, sent } = fakeHost();
    new ProblemFilter().catch(new Error('db password=hunter2 at line 3'), host);
    expect(sent.status).toBe(500);
    expect(sent.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(sent.body)).not.toContain('hunter2');
    expect(sent.body).toMatchObject({ code: 'INTERNAL', requestId: 'req-1', instance: '/v1/x' });
  });

  it('renders AppError with Retry-After, errors and upstream, and status overrides', () => {
    const { host, sent } = fakeHost();
    new ProblemFilter().catch(
      new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, 'open', {
        status: 503,
        retryAfterSeconds: 2.2,
        upstream: { service: 'cc-cms' },
      }),
      host,
    );
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('3');
    expect(sent.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { service: 'cc-cms' } });
  });

  it('maps framework HTTP exceptions by status', () => {
    const a = fakeHost();
    new ProblemFilter().catch(new NotFoundException('Cannot GET /x'), a.host);
    expect(a.sent.body).toMatchObject({ status: 404, code: 'NOT_FOUND', detail: 'Cannot GET /x' });
    const b = fakeHost();
    new ProblemFilter().catch(new BadRequestException(), b.host);
    expect(b.sent.body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });
});
