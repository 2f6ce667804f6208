import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors/error-code';
import { ProblemOutcome, UPSTREAM_KEY } from '../common/openapi/problem.dto';

const EXAMPLE =
  ': stream open\n\n' +
  'id: 1\nevent: status\ndata: {"id":"+991116173924","source":"meeting","registration":"registered","call":"idle","observedAt":"2026-11-25T10:00:00.000Z"}\n\n' +
  'id: 2\nevent: missing\ndata: {"id":"+991116179999"}\n\n' +
  'id: 3\nevent: problem\ndata: {"type":"urn:comms-gateway:problem:upstream-timeout","title":"Upstream timed out","status":504,"code":"UPSTREAM_TIMEOUT","detail":"..."}\n\n' +
  ': keep-alive\n\n';

/** Problems a stream route answers before the stream starts (besides auth, scope and input). */
export const STREAM_PROBLEMS: ProblemOutcome[] = [
  {
    code: ErrorCode.RATE_LIMITED,
    name: 'STREAMS_PER_KEY',
    when: 'the API key already has STREAMS_PER_KEY open streams across all replicas',
    detail: 'This API key already has 20 open streams (STREAMS_PER_KEY); close one first.',
  },
  {
    code: ErrorCode.SERVICE_UNAVAILABLE,
    when: 'the stream registry (Redis) is unavailable; see Retry-After',
    detail: 'The stream registry is unavailable; try again shortly.',
  },
];

/**
 * Documents a watch stream's 200 response (text/event-stream). A stream's upstream failures
 * arrive as `problem` events, not as its status: the route is marked as calling no upstream.
 */
export const ApiEventStream = () =>
  applyDecorators(
    SetMetadata(UPSTREAM_KEY, ''),
    ApiProduces('text/event-stream'),
    ApiOkResponse({
      description:
        'A Server-Sent Events stream (`Cache-Control: no-store`). `status` events (with an increasing `id`) carry ' +
        'the first state of each watched resource, then each change of state (any field but observedAt); ' +
        '`missing` names a watched id its upstream does not know; `problem` reports a failed poll (the stream ' +
        'stays open); a `: keep-alive` comment comes at least every 15 s.',
      content: { 'text/event-stream': { schema: { type: 'string', example: EXAMPLE } } },
    }),
  );
