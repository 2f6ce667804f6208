import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import type { RequestScope } from '../../common/request-context';
import { StatusCache } from '../../status-cache/status-cache';
import { ActivationQuota } from './activation-quota';
import { ActivationResetFailed, MeetingClient } from './meeting.client';
import { ActivationCodeResetRequest, ActivationCodeResetResponse, TerminalStatusList } from './meeting.dto';
import { mapUserStatuses, stripTel } from './meeting.mapper';

/** Numbers per userstatus call; Meeting documents no maximum, so batches stay small. */
const MEETING_BATCH_SIZE = 25;

@Injectable()
export class MeetingService {
  constructor(
    private readonly client: MeetingClient,
    private readonly quota: ActivationQuota,
    private readonly cache: StatusCache,
  ) {}

  /** One number through the shared cache (coalesced across replicas); unknown is 404. */
  async terminalStatus(number: string, scope: RequestScope | undefined): Promise<TerminalStatusDto> {
    const state = await this.cache.read(
      'meeting.terminal',
      cacheKey(number),
      async () => {
        const [status] = await this.fetchStatuses([number], scope);
        return status ?? null;
      },
      scope,
    );
    if (!state) throw new AppError(ErrorCode.NOT_FOUND, `Meeting knows no terminal ${number}.`);
    // The cached state itself when the number is written as cached (entries are never mutated).
    return state.id === number ? state : { ...state, id: number };
  }

  /**
   * One item per number found and `notFound` for the rest, both in request order. Each number
   * is cached on its own: only numbers not fresh in the cache go upstream, split into parallel
   * batches.
   */
  async terminalStatuses(numbers: string[], scope: RequestScope | undefined): Promise<TerminalStatusList> {
    const states = await this.cache.readMany(
      'meeting.terminals',
      numbers.map(cacheKey),
      (missing) =>
        this.fetchStatuses(
          missing.map((i) => numbers[i]!),
          scope,
        ),
      scope,
    );
    const items: TerminalStatusDto[] = [];
    const notFound: string[] = [];
    numbers.forEach((number, i) => {
      const state = states[i];
      if (state) items.push({ ...state, id: number });
      else notFound.push(number);
    });
    return { items, notFound };
  }

  /** Statuses of `numbers` from Meeting, null where Meeting returns no entry, in order. */
  private async fetchStatuses(
    numbers: string[],
    scope: RequestScope | undefined,
  ): Promise<(TerminalStatusDto | null)[]> {
    const requested = new Map(numbers.map((n) => [stripTel(n), n]));
    const batches: string[][] = [];
    for (let i = 0; i < numbers.length; i += MEETING_BATCH_SIZE) batches.push(numbers.slice(i, i + MEETING_BATCH_SIZE));
    const answers = await Promise.all(batches.map((batch) => this.client.queryUserStatus(batch, scope)));
    const observedAt = new Date();
    const found = new Map<string, TerminalStatusDto>();
    for (const answer of answers) {
      for (const [key, status] of mapUserStatuses(answer, requested, observedAt, scope)) found.set(key, status);
    }
    return numbers.map((n) => found.get(stripTel(n)) ?? null);
  }

  /**
   * Counts the attempt first (429 without any upstream call when none is left). A failure gives
   * it back only when Meeting surely did not apply it; when Meeting says the SN reached its own
   * limit, the SN counts as exhausted until the window ends; an unknown outcome stays counted.
   */
  async resetActivationCode(
    sn: string,
    request: ActivationCodeResetRequest,
    scope: RequestScope | undefined,
  ): Promise<ActivationCodeResetResponse> {
    const ticket = await this.quota.consume(sn);
    try {
      await this.client.resetActivationCode(
        sn,
        {
          ...(request.sms ? { smsNumber: request.sms.number, country: request.sms.country ?? 'chinaPR' } : {}),
          ...(request.email ? { emailAddr: request.email } : {}),
        },
        scope,
      );
    } catch (err) {
      if (!(err instanceof ActivationResetFailed)) throw err;
      if (err.verdict === 'limit-reached') throw await this.quota.exhaust(sn, err.error as AppError);
      if (err.verdict === 'not-applied') await this.quota.release(sn, ticket);
      throw err.error;
    }
    const deliveredTo: ('email' | 'sms')[] = [];
    if (request.email) deliveredTo.push('email');
    if (request.sms) deliveredTo.push('sms');
    return {
      sn,
      deliveredTo,
      quota: { limit: ticket.limit, remaining: ticket.remaining, resetsAt: ticket.resetsAt.toISOString() },
    };
  }
}

/** One cache entry per number as Meeting knows it (`tel:` or not); the id is set per request. */
function cacheKey(number: string): string {
  return `status:meeting:${stripTel(number)}`;
}
