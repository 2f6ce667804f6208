import { ErrorCode } from '../../common/errors/error-code';
import { UpstreamFailure } from '../../upstream/upstream-failure';
import { mapCallStatus as mapCall, mapSoftphones as mapPhones } from './cc-management.mapper';
import { callOutcome, phoneOutcome } from './cc-management.outcomes';
import { callResult, phoneResult } from './cc-management.schemas';

const at = new Date('2026-01-02T03:04:05.000Z');
/** Parses the result as the client does, then maps it. */
const mapSoftphones = (result: unknown, includePasswords: boolean) =>
  mapPhones(phoneResult.parse(result), includePasswords, at);
const mapCallStatus = (id: string, result: unknown) => mapCall(id, callResult.parse(result), at);

describe('CC-Management mappers', () => {
  describe('softphones', () => {
    const phone = {
      phoneNum: '6400001',
      password: 'secret',
      id: '7',
      status: 0,
      remark: '',
      tenantId: 't',
      partdbId: 'p',
    };

    it('maps status 0/1 and unknown, drops empty fields, and includes the password only when asked', () => {
      const mapped = mapSoftphones(
        { total: 3, phone: [phone, { ...phone, status: 1 }, { ...phone, status: 5 }] },
        false,
      );
      expect(mapped.items.map((i) => i.registration)).toEqual(['registered', 'suspended', 'unknown']);
      expect(mapped.items[0]).toEqual({
        id: '6400001',
        source: 'cc-management',
        registration: 'registered',
        configId: '7',
        tenantId: 't',
        partitionId: 'p',
        observedAt: at.toISOString(),
      });
      expect(mapSoftphones({ phone: [phone] }, true).items[0]!.password).toBe('secret');
    });

    it('normalizes single, pool and top-level registration servers', () => {
      const mapped = mapSoftphones(
        {
          regIPAddress: '1.1.1.1',
          regPort: '5060',
          singleRegServ: [{ regIPAddress: '2.2.2.2', regPort: 5061, sipServiceIp: '2.2.2.3', sipServicePort: '5062' }],
          poolRegServ: {
            node1: [{ regIPAddress: '3.3.3.3', regPort: '5060' }],
            node2: [{ regIPAddress: '4.4.4.4', regPort: '5060' }],
          },
        },
        false,
      );
      expect(mapped.registrationServers).toEqual([
        { mode: 'single', address: '2.2.2.2', port: 5061, sipAddress: '2.2.2.3', sipPort: 5062 },
        { mode: 'pool', node: 'node1', address: '3.3.3.3', port: 5060 },
        { mode: 'pool', node: 'node2', address: '4.4.4.4', port: 5060 },
        { mode: 'single', address: '1.1.1.1', port: 5060 },
      ]);
    });

    it('treats retCode 2 as empty, 4 as a 400 and others as a counted 502', () => {
      expect(phoneOutcome({ retCode: '0' })).toBe(true);
      expect(phoneOutcome({ retCode: '2' })).toBe(false);
      expect(() => phoneOutcome({ retCode: '4' })).toThrow(expect.objectContaining({ code: ErrorCode.BAD_REQUEST }));
      expect(() => phoneOutcome({ retCode: '5' })).toThrow(UpstreamFailure);
      expect(() => phoneOutcome({ retCode: '5' })).toThrow(
        expect.objectContaining({ code: ErrorCode.UPSTREAM_REJECTED }),
      );
    });

    it.each([
      [{ phone: [{ password: 'x' }] }],
      [{ singleRegServ: [{ regPort: '5060' }] }],
      [{ regIPAddress: '1.1.1.1' }],
      ['x'],
    ])('rejects the malformed queryPhone result %j in its schema', (result) => {
      expect(phoneResult.safeParse(result).success).toBe(false);
    });
  });

  describe('calls', () => {
    it.each([
      [0, 'queued'],
      [1, 'ringing'],
      [2, 'connected'],
      [3, 'ended'],
      [9, 'unknown'],
    ])('maps state %s to %s', (state, expected) => {
      expect(mapCallStatus('1', { state, caller: 'a', called: 'b' }).state).toBe(expected);
    });

    it.each([
      [0, 'callee_hung_up'],
      [1, 'caller_hung_up'],
      [2, 'caller_unreachable'],
      [3, 'callee_unreachable'],
      [4, 'caller_no_answer'],
      [5, 'callee_no_answer'],
      [6, 'call_failed'],
      [17, 'other'],
      [4000, 'other'],
    ])('maps reason code %s to %s', (reasonCode, category) => {
      expect(mapCallStatus('1', { state: 3, reasonCode, caller: 'a', called: 'b' }).endReason).toMatchObject({
        code: reasonCode,
        category,
      });
    });

    it('accepts ms timestamps as strings or numbers and computes the duration', () => {
      const call = mapCallStatus('1', {
        state: 3,
        reasonCode: 1,
        caller: 'a',
        called: 'b',
        startTime: '1572794607000',
        endTime: 1572794610500,
      });
      expect(call).toMatchObject({
        startedAt: '2019-11-03T15:23:27.000Z',
        endedAt: '2019-11-03T15:23:30.500Z',
        durationMs: 3500,
      });
    });

    it('has no end reason before the call ended', () => {
      expect(mapCallStatus('1', { state: 2, reasonCode: 0, caller: 'a', called: 'b' })).not.toHaveProperty('endReason');
    });

    it('maps retCode 3 to 400, 1 to 404 (unknown call), others to a counted 502; a missing result fails its schema', () => {
      expect(() => callOutcome({ retCode: '0' }, '1')).not.toThrow();
      expect(() => callOutcome({ retCode: '3' }, '1')).toThrow(
        expect.objectContaining({ code: ErrorCode.BAD_REQUEST }),
      );
      expect(() => callOutcome({ retCode: '1' }, '1')).toThrow(expect.objectContaining({ code: ErrorCode.NOT_FOUND }));
      expect(() => callOutcome({ retCode: '9' }, '1')).toThrow(UpstreamFailure);
      expect(callResult.safeParse(null).success).toBe(false);
    });

    it('gives the call its id, source and observedAt', () => {
      expect(mapCallStatus('42', { state: 0, caller: 'a', called: 'b' })).toMatchObject({
        id: '42',
        source: 'cc-management',
        observedAt: at.toISOString(),
      });
    });
  });
});
