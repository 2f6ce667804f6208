import { Module } from '@nestjs/common';
import { CcmsConcurrency } from './ccms-concurrency';
import { CcmsClient } from './ccms.client';
import { CcmsController } from './ccms.controller';
import { CcmsService } from './ccms.service';

/** AICC CC-CMS: terminal registration status (AK/SK signed, concurrency-limited). */
@Module({ controllers: [CcmsController], providers: [CcmsClient, CcmsService, CcmsConcurrency] })
export class CcmsModule {}
