import { Global, Module } from '@nestjs/common';
import { WatchHub } from './watch-hub';

/** Watch streams (Server-Sent Events) with polling shared by all replicas. */
@Global()
@Module({ providers: [WatchHub], exports: [WatchHub] })
export class WatchModule {}
