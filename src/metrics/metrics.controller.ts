import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/principal';
import { ErrorCode } from '../common/errors/error-code';
import { ApiProblems } from '../common/openapi/problem.dto';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Request counts and latency by route and status, upstream latency by outcome, token fetches and cache hits, circuit state.',
    operationId: 'getMetrics',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format (version 0.0.4)',
    content: {
      'text/plain': {
        schema: { type: 'string', example: 'http_requests_total{method="GET",route="/v1/me",status="200"} 1\n' },
      },
    },
  })
  @ApiProblems({
    code: ErrorCode.UNAUTHENTICATED,
    when: 'METRICS_TOKEN is set and `Authorization: Bearer <token>` is missing or wrong',
    detail: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.',
    headers: ['WWW-Authenticate'],
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
