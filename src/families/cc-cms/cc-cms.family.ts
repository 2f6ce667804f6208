import { type FamilyDefinition, loadSandbox } from '../family';
import { CcCmsEnvironment, CcCmsSettings, ccCmsSettings } from './cc-cms.config';
import { CcCmsModule } from './cc-cms.module';
import type { CcCmsSandbox, CcCmsSandboxOptions } from './sandbox/cc-cms.sandbox';

/** Demo credentials the CC-CMS sandbox accepts (sandbox only). */
const CC_CMS_SANDBOX_CREDENTIALS = { ak: 'sandbox-ccms-ak', sk: 'sandbox-ccms-sk' };

/** AICC CC-CMS: terminal registration by EID (AK/SK auth-v2 signature per request). */
export const ccCmsFamily = {
  id: 'cc-cms',
  title: 'AICC CC-CMS',
  environment: CcCmsEnvironment,
  requiredVariables: ['CCMS_BASE_URL', 'CCMS_AK', 'CCMS_SK'],
  settings: (env, errors) => ccCmsSettings(env as CcCmsEnvironment, errors),
  cachesTokens: false,
  exampleRead: '/v1/contact-center/terminals?eid=87800001',
  scopes: ['cc.terminals:read'],
  module: (settings) => CcCmsModule.register(settings),
  sandbox: {
    start: (options) =>
      new (loadSandbox<typeof import('./sandbox/cc-cms.sandbox')>(require, './sandbox/cc-cms.sandbox').CcCmsSandbox)({
        ...CC_CMS_SANDBOX_CREDENTIALS,
        resultShape: 'aicc',
        maxSkewSeconds: 900,
        ...options,
      }),
    environment: (url) => ({
      CCMS_BASE_URL: url,
      CCMS_AK: CC_CMS_SANDBOX_CREDENTIALS.ak,
      CCMS_SK: CC_CMS_SANDBOX_CREDENTIALS.sk,
    }),
  },
} as const satisfies FamilyDefinition<'cc-cms', CcCmsSettings, CcCmsSandbox, Partial<CcCmsSandboxOptions>>;
