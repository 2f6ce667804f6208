import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';

const EXAMPLE =
  ': stream open\n\n' +
  'id: 1\nevent: status\ndata: {"id":"+991116173924","source":"meeting","registration":"registered","call":"idle","observedAt":"2026-11-25T10:00:00.000Z"}\n\n' +
  'id: 2\nevent: missing\ndata: {"id":"+991116179999"}\n\n' +
  'id: 3\nevent: problem\ndata: {"type":"urn:comms-gateway:problem:upstream-timeout","title":"Upstream timed out","status":504,"code":"UPSTREAM_TIMEOUT","detail":"..."}\n\n' +
  ': keep-alive\n\n';

/** Documents a watch stream's 200 response (text/event-stream). */
export const ApiEventStream = () =>
  applyDecorators(
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
