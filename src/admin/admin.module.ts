import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ApiKeysController } from './api-keys.controller';
import { AuditController } from './audit.controller';

@Module({ imports: [AuthModule], controllers: [ApiKeysController, AuditController] })
export class AdminModule {}
