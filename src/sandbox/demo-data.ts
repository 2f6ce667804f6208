/**
 * Deterministic demo data for the simulated upstreams: the same input always yields the same
 * terminals, softphones and calls, so demos, tests and benchmarks can rely on them.
 */

export interface MeetingTerminal {
  number: string;
  regStatus: '0' | '1';
  callStatus: '0' | '1' | '2' | '3';
}

/** 200 professional terminals `+991116173900` .. `+991116174099`. */
export const MEETING_TERMINALS: MeetingTerminal[] = Array.from({ length: 200 }, (_, i) => ({
  number: `+99111617${3900 + i}`,
  regStatus: i % 5 === 4 ? '1' : '0',
  callStatus: String(i % 4) as MeetingTerminal['callStatus'],
}));

/** Hard-terminal serial numbers the Meeting sandbox knows. */
export const MEETING_DEVICE_SNS = new Set(Array.from({ length: 50 }, (_, i) => `HWSN${String(i).padStart(4, '0')}`));

export interface CcmsTerminal {
  uapKey: string;
  ccuModuleNumber: string;
  terminationType: string;
  equipmentId: string;
  registerStatus: 'registered' | 'not register';
  socketStatus: 'fault' | 'normal' | 'connecting' | 'uninstall';
  ipAndPort: string;
  monitorFlag: 'unstarted' | 'started';
  protocolType: string;
  roamIpAndPort: string;
  tlsStatus: 'unconnect' | 'connect' | 'uninstall';
  ipType: string;
}

export const CCMS_UAPS = ['10.10.1.11#1', '10.10.1.12#2'] as const;
const SOCKET: CcmsTerminal['socketStatus'][] = ['normal', 'normal', 'normal', 'fault', 'connecting', 'uninstall'];
const TLS: CcmsTerminal['tlsStatus'][] = ['connect', 'unconnect', 'uninstall'];

/** 300 SIP terminals `87800000` .. `87800299`, the first 150 on UAP 1, the rest on UAP 2. */
export const CCMS_TERMINALS: CcmsTerminal[] = Array.from({ length: 300 }, (_, i) => ({
  uapKey: CCMS_UAPS[i < 150 ? 0 : 1],
  ccuModuleNumber: String(56 + (i % 3)),
  terminationType: i % 10 === 9 ? 'h323' : 'sip',
  equipmentId: `8780${String(i).padStart(4, '0')}`,
  registerStatus: i % 7 === 6 ? 'not register' : 'registered',
  socketStatus: SOCKET[i % SOCKET.length]!,
  ipAndPort: `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}:5060`,
  monitorFlag: i % 2 === 0 ? 'started' : 'unstarted',
  protocolType: i % 10 === 9 ? 'h323' : 'sip',
  roamIpAndPort: i % 11 === 0 ? `10.30.0.${(i % 250) + 1}:5060` : '',
  tlsStatus: TLS[i % TLS.length]!,
  ipType: i % 13 === 0 ? 'IPv6' : 'IPv4',
}));

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
