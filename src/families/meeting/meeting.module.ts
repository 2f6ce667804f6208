import { DynamicModule, Module } from '@nestjs/common';
import { familyModule } from '../family';
import { ActivationQuota } from './activation-quota';
import { MEETING_SETTINGS, MeetingSettings } from './meeting.config';
import { MeetingClient } from './meeting.client';
import { MeetingController } from './meeting.controller';
import { MeetingService } from './meeting.service';
import { MeetingWatchSource } from './meeting.watch';

@Module({ controllers: [MeetingController], providers: [MeetingService, ActivationQuota, MeetingWatchSource] })
export class MeetingModule {
  static register(settings: MeetingSettings | undefined): DynamicModule {
    return familyModule({
      id: 'meeting',
      module: MeetingModule,
      settings,
      settingsToken: MEETING_SETTINGS,
      configuredOnly: [MeetingClient],
    });
  }
}
