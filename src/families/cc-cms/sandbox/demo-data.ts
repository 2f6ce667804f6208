/**
 * Deterministic demo data for the simulated CC-CMS: the same input always yields the same
 * answers, so demos, tests and benchmarks can rely on them.
 */

export interface CcCmsTerminal {
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

const CCMS_UAPS = ['10.10.1.11#1', '10.10.1.12#2'] as const;
const SOCKET: CcCmsTerminal['socketStatus'][] = ['normal', 'normal', 'normal', 'fault', 'connecting', 'uninstall'];
const TLS: CcCmsTerminal['tlsStatus'][] = ['connect', 'unconnect', 'uninstall'];

/** 300 SIP terminals `87800000` .. `87800299`, the first 150 on UAP 1, the rest on UAP 2. */
export const CCMS_TERMINALS: CcCmsTerminal[] = Array.from({ length: 300 }, (_, i) => ({
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
