import { type FamilyDefinition, loadSandbox } from '../family';
import { CcManagementEnvironment, CcManagementSettings, ccManagementSettings } from './cc-management.config';
import { CcManagementModule } from './cc-management.module';
import type { CcManagementSandbox, CcManagementSandboxOptions } from './sandbox/cc-management.sandbox';

/** Demo credentials the CC-Management sandbox accepts (sandbox only). */
export const CC_MANAGEMENT_SANDBOX_CREDENTIALS = {
  appKey: 'sandbox-cec-app-key',
  appSecret: 'sandbox-cec-app-secret',
};

/** AICC CC-Management mobile agent: softphones and call state (tokenByAkSk bearer tokens). */
export const ccManagementFamily = {
  id: 'cc-management',
  title: 'AICC CC-Management',
  environment: CcManagementEnvironment,
  requiredVariables: ['CEC_BASE_URL', 'CEC_APP_KEY', 'CEC_AK', 'CEC_SK'],
  settings: (env) => ccManagementSettings(env as CcManagementEnvironment),
  cachesTokens: true,
  exampleRead: '/v1/contact-center/calls/645735364434067472',
  scopes: ['cc.softphones:read', 'cc.softphones:credentials', 'cc.calls:read'],
  module: (settings) => CcManagementModule.register(settings),
  sandbox: {
    start: (options) =>
      new (loadSandbox<typeof import('./sandbox/cc-management.sandbox')>(
        require,
        './sandbox/cc-management.sandbox',
      ).CcManagementSandbox)({ ...CC_MANAGEMENT_SANDBOX_CREDENTIALS, queryPhoneShape: 'v2', ...options }),
    environment: (url) => ({
      CEC_BASE_URL: url,
      CEC_APP_KEY: CC_MANAGEMENT_SANDBOX_CREDENTIALS.appKey,
      // The sandbox's tokenByAkSk takes the app key as AK and the secret as SK.
      CEC_AK: CC_MANAGEMENT_SANDBOX_CREDENTIALS.appKey,
      CEC_SK: CC_MANAGEMENT_SANDBOX_CREDENTIALS.appSecret,
    }),
  },
} as const satisfies FamilyDefinition<
  'cc-management',
  CcManagementSettings,
  CcManagementSandbox,
  Partial<CcManagementSandboxOptions>
>;
