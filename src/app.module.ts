import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.service';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { familyModules } from './families/registry';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/graceful-shutdown';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { RedisModule } from './redis/redis.module';
import { StatusCacheModule } from './status-cache/status-cache.module';
import { TracingModule } from './tracing/tracing.module';
import { WatchModule } from './watch/watch.module';
import { UpstreamCoreModule } from './upstream/upstream-core.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RedisModule,
        LifecycleModule,
        MetricsModule,
        TracingModule,
        UpstreamCoreModule,
        StatusCacheModule,
        WatchModule,
        AuditModule,
        AuthModule,
        AdminModule,
        HealthModule,
        OperationsModule,
        ...familyModules(config.families),
      ],
    };
  }
}
