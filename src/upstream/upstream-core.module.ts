import { Global, Module } from '@nestjs/common';
import { CircuitRegistry } from './circuit-registry';
import { TokenManager } from './token-manager';
import { UpstreamClientFactory } from './upstream-client.factory';

/** Plumbing shared by every upstream family: HTTP pools, resilience, tokens, request context. */
@Global()
@Module({
  providers: [CircuitRegistry, TokenManager, UpstreamClientFactory],
  exports: [CircuitRegistry, TokenManager, UpstreamClientFactory],
})
export class UpstreamCoreModule {}
