import { DynamicModule, Module } from '@nestjs/common';
import { familyModule } from '../family';
import { CC_MANAGEMENT_SETTINGS, CcManagementSettings } from './cc-management.config';
import { CcManagementClient } from './cc-management.client';
import { CcManagementController } from './cc-management.controller';
import { CcManagementService } from './cc-management.service';
import { CallWatchSource } from './cc-management.watch';

/** AICC CC-Management mobile agent: softphones and call state (tokenByAkSk bearer tokens). */
@Module({ controllers: [CcManagementController], providers: [CcManagementService, CallWatchSource] })
export class CcManagementModule {
  static register(settings: CcManagementSettings | undefined): DynamicModule {
    return familyModule({
      id: 'cc-management',
      module: CcManagementModule,
      settings,
      settingsToken: CC_MANAGEMENT_SETTINGS,
      configuredOnly: [CcManagementClient],
    });
  }
}
