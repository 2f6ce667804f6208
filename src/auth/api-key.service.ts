import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import type { Principal } from './principal';

/** SHA-256 of a presented secret (API key or bearer token). */
export function secretHash(presented: string): Buffer {
  return createHash('sha256').update(presented, 'utf8').digest();
}

/** Resolves an X-API-Key to its principal by SHA-256 hash, comparing in constant time. */
@Injectable()
export class ApiKeyService {
  private readonly keys: { hash: Buffer; principal: Principal }[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = config.apiKeys.map((k) => ({
      hash: Buffer.from(k.sha256, 'hex'),
      principal: { name: k.name, scopes: k.scopes },
    }));
  }

  /** The principal whose key has this SHA-256 (see secretHash), if any. */
  authenticate(hash: Buffer): Principal | undefined {
    let found: Principal | undefined;
    // Compare against every key so the time taken does not tell which one (if any) matched.
    for (const key of this.keys) {
      if (timingSafeEqual(key.hash, hash)) found = key.principal;
    }
    return found;
  }
}
