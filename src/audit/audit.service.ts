import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { requestFields, type RequestScope } from '../common/request-context';
import { REDIS } from '../redis/redis.module';

export type AuditAction =
  'api-key.created' | 'api-key.revoked' | 'api-key.rotated' | 'activation-code.reset' | 'softphone-credentials.read';

export type AuditOutcome = 'success' | 'denied' | 'failed';

export interface AuditEntry {
  at: string;
  requestId: string;
  actor: { id: string; name: string };
  action: AuditAction;
  target: string;
  outcome: AuditOutcome;
}

const AUDIT_KEY = 'audit';

/**
 * The audit trail: one Redis list, newest first, capped at AUDIT_MAX_ENTRIES (LPUSH and LTRIM in
 * one MULTI). Entries name who did what to which resource, never a secret. A failure to write
 * is logged and does not fail the request it describes.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('Audit');
  private readonly max: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.max = config.auditMaxEntries;
  }

  async record(
    actor: { id: string; name: string },
    action: AuditAction,
    target: string,
    outcome: AuditOutcome,
    scope: Pick<RequestScope, 'requestId'>,
  ): Promise<void> {
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      requestId: scope.requestId,
      actor: { id: actor.id, name: actor.name },
      action,
      target,
      outcome,
    };
    try {
      await this.redis
        .multi()
        .lpush(AUDIT_KEY, JSON.stringify(entry))
        .ltrim(AUDIT_KEY, 0, this.max - 1)
        .exec();
    } catch (err) {
      this.logger.error(
        { ...requestFields(scope), err: String(err), action, target, outcome },
        'audit entry not written',
      );
    }
  }

  /** Newest first. */
  async list(offset: number, limit: number): Promise<{ items: AuditEntry[]; total: number }> {
    const [[, total], [, rows]] = (await this.redis
      .multi()
      .llen(AUDIT_KEY)
      .lrange(AUDIT_KEY, offset, offset + limit - 1)
      .exec()) as [[null, number], [null, string[]]];
    return { items: rows.map((row) => JSON.parse(row) as AuditEntry), total };
  }
}

/** Global: the families record their own actions (resets, credential reads). */
@Global()
@Module({ providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}
