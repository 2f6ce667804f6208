import { type FamilyDefinition, loadSandbox } from '../family';
import { MeetingEnvironment, MeetingSettings, meetingSettings } from './meeting.config';
import { MeetingModule } from './meeting.module';
import type { MeetingSandbox, MeetingSandboxOptions } from './sandbox/meeting.sandbox';

/** Demo credentials the Meeting sandbox accepts (sandbox only; not secrets of anything real). */
export const MEETING_SANDBOX_CREDENTIALS = {
  appId: 'fdb8e4699586458bbd10c834872dcc62',
  appKey: 'sandbox-meeting-app-key',
};

/** Huawei Cloud Meeting: professional-terminal status and activation-code resets (App ID auth). */
export const meetingFamily = {
  id: 'meeting',
  title: 'Huawei Cloud Meeting',
  environment: MeetingEnvironment,
  requiredVariables: ['MEETING_BASE_URL', 'MEETING_APP_ID', 'MEETING_APP_KEY'],
  settings: (env) => meetingSettings(env as MeetingEnvironment),
  cachesTokens: true,
  exampleRead: '/v1/meeting/terminals/%2B991116173901/status',
  scopes: ['meeting.terminals:read', 'meeting.devices:manage'],
  module: (settings) => MeetingModule.register(settings),
  sandbox: {
    start: (options) =>
      new (loadSandbox<typeof import('./sandbox/meeting.sandbox')>(
        require,
        './sandbox/meeting.sandbox',
      ).MeetingSandbox)({
        ...MEETING_SANDBOX_CREDENTIALS,
        tokenTtlSeconds: 43_200,
        maxNumbersPerCall: 50,
        ...options,
      }),
    environment: (url) => ({
      MEETING_BASE_URL: url,
      MEETING_APP_ID: MEETING_SANDBOX_CREDENTIALS.appId,
      MEETING_APP_KEY: MEETING_SANDBOX_CREDENTIALS.appKey,
    }),
  },
} as const satisfies FamilyDefinition<'meeting', MeetingSettings, MeetingSandbox, Partial<MeetingSandboxOptions>>;
