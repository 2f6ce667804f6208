import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';

export type AcceptLanguage = 'en-US' | 'zh-CN';

/** Per-request values (AsyncLocalStorage via nestjs-cls) that upstream clients forward. */
@Injectable()
export class RequestContext {
  constructor(private readonly cls: ClsService) {}

  get requestId(): string | undefined {
    return this.cls.isActive() ? this.cls.getId() : undefined;
  }

  get acceptLanguage(): AcceptLanguage | undefined {
    return this.cls.isActive() ? this.cls.get<AcceptLanguage | undefined>('acceptLanguage') : undefined;
  }
}

/** Only the two languages the upstreams understand are passed on. */
export function parseAcceptLanguage(header: string | string[] | undefined): AcceptLanguage | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const first = value.split(',')[0]!.split(';')[0]!.trim().toLowerCase();
  if (first.startsWith('zh')) return 'zh-CN';
  if (first.startsWith('en')) return 'en-US';
  return undefined;
}
