import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { AuthFailures } from './auth-failures.service';
import { RateLimitService } from './rate-limit.service';

@Module({
  providers: [ApiKeyService, AuthFailures, RateLimitService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeyService, AuthFailures],
})
export class AuthModule {}
