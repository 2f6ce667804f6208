import { Global, Module } from '@nestjs/common';
import { StatusCache } from './status-cache';

/** The shared status cache every family's status reads go through. */
@Global()
@Module({ providers: [StatusCache], exports: [StatusCache] })
export class StatusCacheModule {}
