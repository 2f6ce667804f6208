import pino from 'pino';
import { Writable } from 'node:stream';
import { createLoggers } from './logging';

/** Collects written lines. */
function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

describe('access line', () => {
  const fields = {
    requestId: 'req-1',
    req: { method: 'GET', path: '/v1/x/"quoted"\\\u2028', query: { eid: '8780*' } },
    route: '/v1/x/:id',
    res: { status: 200 },
    latencyMs: 1.5,
  };

  it('is byte for byte the line pino writes for the same fields (time aside)', () => {
    const ours = sink();
    const reference = sink();
    createLoggers({ logLevel: 'info' }, ours.stream).access.write('warn', fields, 'request completed');
    pino({ level: 'info' }, reference.stream).warn(fields, 'request completed');
    expect(ours.lines).toHaveLength(1);
    expect(withoutTime(ours.lines[0]!)).toBe(withoutTime(reference.lines[0]!));
  });

  it('follows LOG_LEVEL: nothing below it is written', () => {
    const out = sink();
    const { access } = createLoggers({ logLevel: 'warn' }, out.stream);
    access.write('info', fields, 'request completed');
    access.write('debug', fields, 'request completed');
    access.write('error', fields, 'request completed');
    expect(out.lines.map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([50]);
  });
});
