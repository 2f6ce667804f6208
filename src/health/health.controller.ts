import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { Public } from '../auth/principal';
import { configurationWarnings, type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.token';
import { REDIS, RedisLifecycle } from '../redis/redis.module';
import { FAMILY_IDS } from '../families/registry';
import { CircuitRegistry } from '../upstream/circuit-registry';
import { GracefulShutdown } from '../lifecycle/graceful-shutdown';

class LivenessDto {
  @ApiProperty({ enum: ['ok'], description: 'Always ok while the process serves requests' }) status!: 'ok';
}

class RedisHealthDto {
  @ApiProperty({ enum: ['up', 'down'], enumName: 'IndicatorStatus', description: 'Whether Redis answered PING' })
  status!: 'up' | 'down';
  @ApiProperty({
    example: 'redis',
    description: '`redis`, or `in-process (single instance only)` in sandbox mode without REDIS_URL',
  })
  store!: string;
  @ApiPropertyOptional({ example: 'Connection is closed.', description: 'Why it is down' }) message?: string;
}

class FamilyHealthDto {
  @ApiProperty({ description: 'Whether the family has its variables set on this gateway' }) configured!: boolean;
  @ApiProperty({
    enum: ['closed', 'open', 'half-open', 'disabled'],
    enumName: 'CircuitState',
    description: 'Its circuit breaker; `disabled` when the family is not configured',
  })
  circuit!: 'closed' | 'open' | 'half-open' | 'disabled';
}

/** `upstreams`: one member per family of the registry. */
class UpstreamsHealthDto {
  @ApiProperty({ enum: ['up'], description: 'Always up: an unconfigured family does not make the gateway unready' })
  status!: 'up';
}
for (const id of FAMILY_IDS) {
  ApiProperty({ type: FamilyHealthDto, description: `The ${id} family` })(UpstreamsHealthDto.prototype, id);
}

/** `configuration`: what this gateway's configuration lacks (it still starts and serves). */
class ConfigurationHealthDto {
  @ApiProperty({ enum: ['up'], description: 'Always up: a warning does not make the gateway unready' })
  status!: 'up';
  @ApiProperty({
    type: [String],
    example: ['no upstream family is configured: every family route answers 503 UPSTREAM_UNAVAILABLE'],
    description: 'Empty when the gateway has at least one family and one API key',
  })
  warnings!: string[];
}

class ReadinessIndicatorsDto {
  @ApiProperty({ type: RedisHealthDto }) redis!: RedisHealthDto;
  @ApiProperty({ type: UpstreamsHealthDto }) upstreams!: UpstreamsHealthDto;
  @ApiProperty({ type: ConfigurationHealthDto }) configuration!: ConfigurationHealthDto;
}

class SomeReadinessIndicatorsDto {
  @ApiPropertyOptional({ type: RedisHealthDto }) redis?: RedisHealthDto;
  @ApiPropertyOptional({ type: UpstreamsHealthDto }) upstreams?: UpstreamsHealthDto;
  @ApiPropertyOptional({ type: ConfigurationHealthDto }) configuration?: ConfigurationHealthDto;
}

class ReadinessDto {
  @ApiProperty({
    enum: ['ok', 'error', 'shutting_down'],
    enumName: 'ReadinessStatus',
    description: '`shutting_down` from the moment shutdown begins',
  })
  status!: 'ok' | 'error' | 'shutting_down';
  @ApiPropertyOptional({ type: SomeReadinessIndicatorsDto, description: 'The indicators that are up' })
  info?: SomeReadinessIndicatorsDto;
  @ApiPropertyOptional({ type: SomeReadinessIndicatorsDto, description: 'The indicators that are down' })
  error?: SomeReadinessIndicatorsDto;
  @ApiProperty({ type: ReadinessIndicatorsDto, description: 'Every indicator' }) details!: ReadinessIndicatorsDto;
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly circuits: CircuitRegistry,
    private readonly redisLifecycle: RedisLifecycle,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly shutdown: GracefulShutdown,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.warnings = configurationWarnings(config);
  }

  private readonly warnings: string[];

  @Get('live')
  @ApiOperation({ summary: 'Liveness', description: 'The process is up.', operationId: 'getLiveness' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness',
    description: 'Ready when Redis answers; reports each upstream family as configured or not, with its circuit state.',
    operationId: 'getReadiness',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready: Redis is unreachable, or the gateway is shutting down',
    headers: {
      'Retry-After': {
        description: 'Seconds before asking again',
        required: true,
        schema: { type: 'integer', format: 'int32', minimum: 1, example: 1 },
      },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([
        () => this.checkRedis(),
        () => this.checkUpstreams(),
        () => this.checkConfiguration(),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      // A readiness probe wants the indicator details, not a problem document.
      reply.status(503).header('retry-after', '1');
      result = err.getResponse() as HealthCheckResult;
    }
    if (this.shutdown.draining) {
      // From the moment shutdown begins: out of rotation, whatever the indicators say.
      reply.status(503).header('retry-after', '1');
      return { ...result, status: 'shutting_down' };
    }
    return result;
  }

  private async checkRedis() {
    const indicator = this.indicators.check('redis');
    const store = this.redisLifecycle.inProcess ? 'in-process (single instance only)' : 'redis';
    try {
      await this.redis.ping();
      return indicator.up({ store });
    } catch (err) {
      return indicator.down({ store, message: (err as Error).message });
    }
  }

  private checkConfiguration() {
    return this.indicators.check('configuration').up({ warnings: this.warnings });
  }

  /** Every family of the registry: configured with its circuit state, or disabled. */
  private checkUpstreams() {
    const families = Object.fromEntries(
      FAMILY_IDS.map((id) => {
        const circuit = this.circuits.stateOf(id);
        return [id, circuit ? { configured: true, circuit } : { configured: false, circuit: 'disabled' }];
      }),
    );
    return this.indicators.check('upstreams').up(families);
  }
}
