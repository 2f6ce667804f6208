import { mapUserStatuses, stripTel } from './meeting.mapper';
import { RawUserStatus, userStatusResponse } from './meeting.schemas';

const at = new Date('2026-01-02T03:04:05.000Z');

describe('Meeting mapper', () => {
  const requested = new Map([['+1', '+1']]);
  const one = (RegStatus: unknown, CallStatus: unknown) =>
    mapUserStatuses([{ Number: 'tel:+1', RegStatus, CallStatus } as RawUserStatus], requested, at).get('+1')!;

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

  it.each([[{}], [[{ RegStatus: '0' }]], [[{ Number: '' }]], [null], ['text'], [[{ Number: 1 }]]])(
    'rejects the malformed userstatus body %j in its schema (a counted upstream failure, not a crash)',
    (raw) => {
      expect(userStatusResponse.safeParse(raw).success).toBe(false);
    },
  );

  it('accepts the documented userstatus body', () => {
    expect(userStatusResponse.parse([{ Number: 'tel:+1', RegStatus: '0', CallStatus: '1' }])).toHaveLength(1);
  });
});
