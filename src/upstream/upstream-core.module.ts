import { Global, Module } from '@nestjs/common';
import { RequestContext } from '../common/request-context';
import { CircuitRegistry } from './circuit-registry';

/** Plumbing shared by every upstream family. */
@Global()
@Module({ providers: [CircuitRegistry, RequestContext], exports: [CircuitRegistry, RequestContext] })
export class UpstreamCoreModule {}
