/**
 * Deterministic demo data for the simulated Meeting: the same input always yields the same
 * answers, so demos, tests and benchmarks can rely on them.
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
