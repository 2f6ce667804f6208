import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { CecClient } from './cec.client';
import { CallStatusDto, SoftphoneList, SoftphoneQuery } from './cec.dto';
import { assertCallEnvelope, assertPhoneEnvelope, mapCallStatus, mapSoftphones } from './cec.mapper';

@Injectable()
export class CecService {
  constructor(private readonly client: CecClient) {}

  async softphones(query: SoftphoneQuery, principal: Principal): Promise<SoftphoneList> {
    const includePasswords = query.include === 'credentials' && principal.scopes.includes('cc.softphones:credentials');
    const envelope = await this.client.queryPhone(query.limit, query.offset);
    assertPhoneEnvelope(envelope);
    const mapped = mapSoftphones(envelope.retCode === '0' ? envelope.result : undefined, includePasswords);
    return {
      items: mapped.items,
      registrationServers: mapped.registrationServers,
      page: { limit: query.limit, offset: query.offset, total: mapped.total },
    };
  }

  async call(callSerialNo: string): Promise<CallStatusDto> {
    const envelope = await this.client.queryCallState(callSerialNo);
    assertCallEnvelope(envelope);
    return mapCallStatus(callSerialNo, envelope.result);
  }
}
