import { Module } from '@nestjs/common';
import { ActivationQuota } from './activation-quota';
import { MeetingClient } from './meeting.client';
import { MeetingController } from './meeting.controller';
import { MeetingService } from './meeting.service';

@Module({ controllers: [MeetingController], providers: [MeetingClient, MeetingService, ActivationQuota] })
export class MeetingModule {}
