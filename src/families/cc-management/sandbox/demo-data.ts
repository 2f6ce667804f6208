/**
 * Deterministic demo data for the simulated CC-Management: the same input always yields the same
 * answers, so demos, tests and benchmarks can rely on them.
 */

export interface CecPhone {
  phoneNum: string;
  password: string;
  id: string;
  status: 0 | 1;
  remark: string;
  tenantId: string;
  partdbId: string;
}

/** 130 softphones (more than one page of 100). Passwords are demo values, never real ones. */
export const CEC_PHONES: CecPhone[] = Array.from({ length: 130 }, (_, i) => ({
  phoneNum: `6400${String(i).padStart(3, '0')}`,
  password: `Demo#Pwd${String(i * 7919).padStart(6, '0')}`,
  id: String(1000 + i),
  status: i % 9 === 8 ? 1 : 0,
  remark: i % 4 === 0 ? `desk ${i}` : '',
  tenantId: '202101110001',
  partdbId: 'P1',
}));

export const CEC_REG_SERVERS = {
  single: [{ regIPAddress: '10.40.0.10', regPort: '5060', sipServiceIp: '10.40.0.11', sipServicePort: '5061' }],
  pool: {
    node1: [{ regIPAddress: '10.40.1.10', regPort: '5060', sipServiceIp: '10.40.1.11', sipServicePort: '5061' }],
    node2: [{ regIPAddress: '10.40.2.10', regPort: '5060', sipServiceIp: '10.40.2.11', sipServicePort: '5061' }],
  },
};

export interface CecCall {
  callSerialNo: string;
  state: 0 | 1 | 2 | 3;
  reasonCode?: number;
  caller: string;
  called: string;
  callerPresent?: string;
  agentPresent?: string;
  callData?: string;
  startTime?: string | number;
  endTime?: string | number;
}

const BASE_MS = 1621823865000;
const REASONS = [0, 1, 2, 3, 4, 5, 6, 17, 31, 65535];

/** Calls in every state and with every documented end reason (plus unknown ones). */
export const CEC_CALLS: CecCall[] = [
  { callSerialNo: '645735364434067470', state: 0, caller: '88889050', called: '88889060' },
  {
    callSerialNo: '645735364434067471',
    state: 1,
    caller: '88889050',
    called: '88889061',
    callerPresent: '640003',
    startTime: String(BASE_MS),
  },
  {
    callSerialNo: '645735364434067473',
    state: 2,
    caller: '88889051',
    called: '88889062',
    callerPresent: '640003',
    agentPresent: '640060',
    startTime: String(BASE_MS),
    callData: 'order=42',
  },
  ...REASONS.map((reasonCode, i) => ({
    callSerialNo: String(645735364434067480n + BigInt(i)),
    state: 3 as const,
    reasonCode,
    caller: '88889050',
    called: `8888907${i}`,
    callerPresent: '640003',
    agentPresent: '640060',
    // The doc's example sends numbers although its table says strings: serve both.
    startTime: i % 2 === 0 ? String(BASE_MS + i * 1000) : BASE_MS + i * 1000,
    endTime: i % 2 === 0 ? String(BASE_MS + i * 1000 + 7000) : BASE_MS + i * 1000 + 7000,
  })),
  {
    callSerialNo: '645735364434067472',
    state: 3,
    reasonCode: 0,
    caller: '88889050',
    called: '88889060',
    callerPresent: '640003',
    agentPresent: '640060',
    startTime: 1621823865000,
    endTime: 1621823872000,
  },
];
