import { DynamicModule, Module } from '@nestjs/common';
import { familyModule } from '../family';
import { CcCmsConcurrency } from './cc-cms-concurrency';
import { CC_CMS_SETTINGS, CcCmsSettings } from './cc-cms.config';
import { CcCmsClient } from './cc-cms.client';
import { CcCmsController } from './cc-cms.controller';
import { CcCmsService } from './cc-cms.service';
import { CcCmsWatchSource } from './cc-cms.watch';

/** AICC CC-CMS: terminal registration status (AK/SK signed, concurrency-limited). */
@Module({ controllers: [CcCmsController], providers: [CcCmsService, CcCmsWatchSource] })
export class CcCmsModule {
  static register(settings: CcCmsSettings | undefined): DynamicModule {
    return familyModule({
      id: 'cc-cms',
      module: CcCmsModule,
      settings,
      settingsToken: CC_CMS_SETTINGS,
      configuredOnly: [CcCmsClient, CcCmsConcurrency],
    });
  }
}
