import { Global, Module } from '@nestjs/common';
import { RequestContext } from '../common/request-context';
import { CircuitRegistry } from './circuit-registry';
import { TokenManager } from './token-manager';
import { UpstreamClientFactory } from './upstream-client.factory';

/** Plumbing shared by every upstream family: HTTP pools, resilience, tokens, request context. */
@Global()
@Module({
  providers: [CircuitRegistry, RequestContext, TokenManager, UpstreamClientFactory],
  exports: [CircuitRegistry, RequestContext, TokenManager, UpstreamClientFactory],
})
export class UpstreamCoreModule {}
