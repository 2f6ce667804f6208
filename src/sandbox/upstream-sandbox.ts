import { CcmsSandbox } from './ccms.sandbox';
import { CecSandbox } from './cec.sandbox';
import { MeetingSandbox } from './meeting.sandbox';

/** Demo credentials the simulated upstreams accept (sandbox only; not secrets of anything real). */
export const SANDBOX_CREDENTIALS = {
  meeting: { appId: 'fdb8e4699586458bbd10c834872dcc62', appKey: 'sandbox-meeting-app-key' },
  ccms: { ak: 'sandbox-ccms-ak', sk: 'sandbox-ccms-sk' },
  cec: { appKey: 'sandbox-cec-app-key', appSecret: 'sandbox-cec-app-secret' },
} as const;

export interface UpstreamSandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  ports?: { meeting?: number; ccms?: number; cec?: number };
  latencyMs?: number;
  meetingTokenTtlSeconds?: number;
  ccmsResultShape?: 'aicc' | 'grouped';
  cecQueryPhoneShape?: 'v2' | 'v1';
}

export interface UpstreamSandbox {
  meeting: MeetingSandbox;
  ccms: CcmsSandbox;
  cec: CecSandbox;
  urls: { meeting: string; ccms: string; cec: string };
  /** Clears counters, faults, tokens and quotas of every family. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the three simulated upstream families, each on its own port. */
export async function startUpstreamSandbox(options: UpstreamSandboxOptions = {}): Promise<UpstreamSandbox> {
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const meeting = new MeetingSandbox({
    ...SANDBOX_CREDENTIALS.meeting,
    latencyMs,
    tokenTtlSeconds: options.meetingTokenTtlSeconds ?? 43_200,
    maxNumbersPerCall: 50,
  });
  const ccms = new CcmsSandbox({
    ...SANDBOX_CREDENTIALS.ccms,
    latencyMs,
    resultShape: options.ccmsResultShape ?? 'aicc',
    maxSkewSeconds: 900,
  });
  const cec = new CecSandbox({
    ...SANDBOX_CREDENTIALS.cec,
    latencyMs,
    queryPhoneShape: options.cecQueryPhoneShape ?? 'v2',
  });
  const listen = async (server: MeetingSandbox['server'], port = 0) => {
    const address = await server.listen({ host, port });
    return address.replace('[::1]', 'localhost');
  };
  const urls = {
    meeting: await listen(meeting.server, options.ports?.meeting),
    ccms: await listen(ccms.server, options.ports?.ccms),
    cec: await listen(cec.server, options.ports?.cec),
  };
  return {
    meeting,
    ccms,
    cec,
    urls,
    reset: async () => {
      await Promise.all([meeting, ccms, cec].map((f) => f.server.inject({ method: 'POST', url: '/__sandbox/reset' })));
    },
    close: async () => {
      await Promise.all([meeting.server.close(), ccms.server.close(), cec.server.close()]);
    },
  };
}

/** Environment that points every gateway family at a running sandbox with its demo credentials. */
export function sandboxEnvironment(sandbox: Pick<UpstreamSandbox, 'urls'>): Record<string, string> {
  return {
    MEETING_BASE_URL: sandbox.urls.meeting,
    MEETING_APP_ID: SANDBOX_CREDENTIALS.meeting.appId,
    MEETING_APP_KEY: SANDBOX_CREDENTIALS.meeting.appKey,
    CCMS_BASE_URL: sandbox.urls.ccms,
    CCMS_AK: SANDBOX_CREDENTIALS.ccms.ak,
    CCMS_SK: SANDBOX_CREDENTIALS.ccms.sk,
    CEC_BASE_URL: sandbox.urls.cec,
    CEC_APP_KEY: SANDBOX_CREDENTIALS.cec.appKey,
    CEC_AK: SANDBOX_CREDENTIALS.cec.appKey,
    CEC_SK: SANDBOX_CREDENTIALS.cec.appSecret,
  };
}
