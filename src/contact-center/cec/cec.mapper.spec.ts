import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { assertCallEnvelope, assertPhoneEnvelope, mapCallStatus, mapSoftphones } from './cec.mapper';

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
        number: '6400001',
        registration: 'registered',
        configId: '7',
        tenantId: 't',
        partitionId: 'p',
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

    it('treats retCode 2 as empty, 4 as a 400 and others as 502', () => {
      expect(() => assertPhoneEnvelope({ retCode: '2' })).not.toThrow();
      expect(() => assertPhoneEnvelope({ retCode: '4' })).toThrow(
        expect.objectContaining({ code: ErrorCode.BAD_REQUEST }),
      );
      expect(() => assertPhoneEnvelope({ retCode: '5' })).toThrow(
        expect.objectContaining({ code: ErrorCode.UPSTREAM_REJECTED }),
      );
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

    it('maps retCode 3 to 400 and 1 to 502, and a missing result to a 502 problem', () => {
      expect(() => assertCallEnvelope({ retCode: '3' })).toThrow(
        expect.objectContaining({ code: ErrorCode.BAD_REQUEST }),
      );
      expect(() => assertCallEnvelope({ retCode: '1' })).toThrow(
        expect.objectContaining({ code: ErrorCode.UPSTREAM_REJECTED }),
      );
      expect(() => mapCallStatus('1', undefined)).toThrow(AppError);
    });
  });
});
