import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { Public } from '../auth/principal';
import { REDIS, RedisLifecycle } from '../redis/redis.module';
import { FAMILY_IDS } from '../families/registry';
import { CircuitRegistry } from '../upstream/circuit-registry';
import { GracefulShutdown } from '../lifecycle/graceful-shutdown';

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
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness', description: 'The process is up.', operationId: 'getLiveness' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness',
    description: 'Ready when Redis answers; reports each upstream family as configured or not, with its circuit state.',
    operationId: 'getReadiness',
  })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: Redis is unreachable' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    if (this.shutdown.draining) {
      // From the moment shutdown begins: take this instance out of rotation.
      reply.status(503).header('retry-after', '1');
      const shuttingDown = { status: 'down' as const, message: 'shutting down' };
      return { status: 'error', info: {}, error: { shutdown: shuttingDown }, details: { shutdown: shuttingDown } };
    }
    try {
      return await this.health.check([() => this.checkRedis(), () => this.checkUpstreams()]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      // A readiness probe wants the indicator details, not a problem document.
      reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
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
