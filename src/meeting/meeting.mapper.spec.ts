import { AppError } from '../common/errors/app-error';
import { mapUserStatuses, stripTel } from './meeting.mapper';

const at = new Date('2026-01-02T03:04:05.000Z');

describe('Meeting mapper', () => {
  const requested = new Map([['+1', '+1']]);
  const one = (RegStatus: unknown, CallStatus: unknown) =>
    mapUserStatuses([{ Number: 'tel:+1', RegStatus, CallStatus }], requested, at).get('+1')!;

  it.each([
    ['0', 'registered'],
    ['1', 'unregistered'],
    ['7', 'unknown'],
    [undefined, 'unknown'],
  ])('maps RegStatus %s to %s', (value, expected) => {
    expect(one(value, '1').registration).toBe(expected);
  });

  it.each([
    ['0', 'offline'],
    ['1', 'idle'],
    ['2', 'in_call'],
    ['3', 'not_applicable'],
    ['9', 'unknown'],
    [2, 'in_call'],
  ])('maps CallStatus %s to %s', (value, expected) => {
    expect(one('0', value).call).toBe(expected);
  });

  it('strips tel: and reports the id as the client asked for it', () => {
    const map = mapUserStatuses(
      [{ Number: 'tel:+99', RegStatus: '0', CallStatus: '1' }],
      new Map([['+99', 'tel:+99']]),
      at,
    );
    expect(map.get('+99')).toEqual({
      id: 'tel:+99',
      source: 'meeting',
      registration: 'registered',
      call: 'idle',
      observedAt: at.toISOString(),
    });
    expect(stripTel('TEL:+1')).toBe('+1');
  });

  it('ignores entries nobody asked for', () => {
    expect(mapUserStatuses([{ Number: 'tel:+5', RegStatus: '0', CallStatus: '0' }], requested, at).size).toBe(0);
  });

  it.each([[{}], [[{ RegStatus: '0' }]], [null], ['text']])(
    'turns malformed %j into a 502 problem, not a crash',
    (raw) => {
      expect(() => mapUserStatuses(raw, requested, at)).toThrow(AppError);
    },
  );
});
