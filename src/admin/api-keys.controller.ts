import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyService } from '../auth/api-key.service';
import type { IssuedKeyRecord } from '../auth/issued-keys.store';
import { CurrentScope, type RequestScope } from '../common/request-context';
import { CurrentPrincipal, Principal, Scopes } from '../auth/principal';
import type { Scope } from '../auth/scopes';
import { AuditTrail } from '../audit/audit.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { ApiProblems } from '../common/openapi/problem.dto';
import { PageQuery } from '../common/paging';
import {
  ApiKeyDto,
  ApiKeyList,
  ApiKeyParams,
  CreateApiKeyRequest,
  IssuedApiKeyDto,
  RotateApiKeyRequest,
} from './admin.dto';

const LOCATION_HEADER = {
  Location: {
    description: 'The URL of the key resource',
    required: true,
    schema: { type: 'string', example: '/v1/admin/api-keys/key_Xb3kq9LmT0aPz1Yc' },
  },
};

const NOT_FOUND = {
  code: ErrorCode.NOT_FOUND,
  when: 'no key has this id (never existed, or revoked)',
  detail: 'No API key key_Xb3kq9LmT0aPz1Yc.',
};
const CONFIGURED = {
  code: ErrorCode.CONFLICT,
  when: 'the key is configured (API_KEYS), not issued: change the configuration instead',
  detail: 'cfg_ops is a configured key (API_KEYS); change the configuration instead.',
};
const ESCALATION = {
  code: ErrorCode.FORBIDDEN,
  name: 'SCOPE_ESCALATION',
  when: 'the key would carry a scope the caller lacks',
  detail: 'A key cannot grant the scope cc.softphones:credentials, which the calling key lacks.',
};

/**
 * Issued API keys (Redis) beside the configured ones (API_KEYS): create, list, read, revoke,
 * rotate. A key never grants a scope its creator lacks. Every change is audited, refusals too.
 */
@ApiTags('admin')
@ApiSecurity('adminApiKey')
@Controller('v1/admin/api-keys')
@Scopes('admin.keys:manage')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly audit: AuditTrail,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue an API key',
    description:
      'The key (`cgw_` + 43 base64url characters) is in this response only; the gateway keeps its SHA-256. ' +
      'Names are unique; scopes must be ones the calling key has.',
    operationId: 'createApiKey',
  })
  @ApiCreatedResponse({ type: IssuedApiKeyDto, description: 'The new key', headers: LOCATION_HEADER })
  @ApiProblems(
    { ...ESCALATION },
    {
      code: ErrorCode.CONFLICT,
      when: 'a key with this name exists',
      detail: 'An API key named partner-a exists.',
    },
  )
  async create(
    @Body() body: CreateApiKeyRequest,
    @CurrentPrincipal() caller: Principal,
    @CurrentScope() scope: RequestScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuedApiKeyDto> {
    const scopes = body.scopes as Scope[];
    await this.checkScopes(caller, scopes, 'api-key.created', body.name, scope);
    if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'expiresAt: must be in the future', {
        errors: [{ field: 'expiresAt', message: 'must be in the future' }],
      });
    }
    const taken = this.keys.configured.some((k) => k.name === body.name);
    const created = taken
      ? 'duplicate'
      : await this.keys.store.create({
          name: body.name,
          scopes,
          expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
          rateLimitPerMinute: body.rateLimitPerMinute ?? null,
        });
    if (created === 'duplicate') {
      await this.audit.record(caller, 'api-key.created', body.name, 'failed', scope);
      throw new AppError(ErrorCode.CONFLICT, `An API key named ${body.name} exists.`);
    }
    await this.audit.record(caller, 'api-key.created', created.record.id, 'success', scope);
    reply.header('location', `/v1/admin/api-keys/${created.record.id}`);
    return issued(created.record, created.key);
  }

  @Get()
  @ApiOperation({
    summary: 'List API keys',
    description: 'Configured keys first, then issued keys oldest first. Never the keys themselves.',
    operationId: 'listApiKeys',
  })
  @ApiOkResponse({ type: ApiKeyList, description: 'One page of keys' })
  async list(@Query() query: PageQuery): Promise<ApiKeyList> {
    const configured = this.keys.configured;
    const page = configured.slice(query.offset, query.offset + query.limit);
    const used = await this.keys.store.configuredLastUsed(page.map((k) => k.id));
    const fromConfig = page.map((k, i) => configuredDto(k, used[i] ?? null));
    const issuedOffset = Math.max(0, query.offset - configured.length);
    const { items, total } = await this.keys.store.list(issuedOffset, query.limit - fromConfig.length);
    const all = [...fromConfig, ...items.map(issuedDto)];
    return {
      items: all,
      page: { limit: query.limit, offset: query.offset, total: configured.length + total },
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One API key', description: 'Never the key itself.', operationId: 'getApiKey' })
  @ApiOkResponse({ type: ApiKeyDto, description: 'The key' })
  @ApiProblems(NOT_FOUND)
  async get(@Param() params: ApiKeyParams): Promise<ApiKeyDto> {
    const configured = this.keys.configured.find((k) => k.id === params.id);
    if (configured) {
      const [lastUsedAt] = await this.keys.store.configuredLastUsed([configured.id]);
      return configuredDto(configured, lastUsedAt ?? null);
    }
    const record = await this.keys.store.get(params.id);
    if (!record) throw new AppError(ErrorCode.NOT_FOUND, `No API key ${params.id}.`);
    return issuedDto(record);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an issued API key',
    description: 'Every replica refuses the key (401) within a second. Configured keys cannot be revoked here (409).',
    operationId: 'revokeApiKey',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(NOT_FOUND, CONFIGURED)
  async revoke(
    @Param() params: ApiKeyParams,
    @CurrentPrincipal() caller: Principal,
    @CurrentScope() scope: RequestScope,
  ): Promise<void> {
    await this.refuseConfigured(caller, params.id, 'api-key.revoked', scope);
    if (!(await this.keys.store.revoke(params.id))) {
      await this.audit.record(caller, 'api-key.revoked', params.id, 'failed', scope);
      throw new AppError(ErrorCode.NOT_FOUND, `No API key ${params.id}.`);
    }
    this.keys.forget(params.id);
    await this.audit.record(caller, 'api-key.revoked', params.id, 'success', scope);
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Rotate an issued API key',
    description:
      'A new key for the same id, name and scopes, shown in this response only. The old key keeps working for ' +
      '`graceSeconds` (default 0), then gets 401 on every replica; a new rotation ends an earlier grace.',
    operationId: 'rotateApiKey',
  })
  @ApiCreatedResponse({ type: IssuedApiKeyDto, description: 'The new key', headers: LOCATION_HEADER })
  @ApiProblems(NOT_FOUND, CONFIGURED, { ...ESCALATION, when: 'the key carries a scope the caller lacks' })
  async rotate(
    @Param() params: ApiKeyParams,
    @Body() body: RotateApiKeyRequest,
    @CurrentPrincipal() caller: Principal,
    @CurrentScope() scope: RequestScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuedApiKeyDto> {
    await this.refuseConfigured(caller, params.id, 'api-key.rotated', scope);
    const current = await this.keys.store.get(params.id);
    if (!current) {
      await this.audit.record(caller, 'api-key.rotated', params.id, 'failed', scope);
      throw new AppError(ErrorCode.NOT_FOUND, `No API key ${params.id}.`);
    }
    await this.checkScopes(caller, current.scopes, 'api-key.rotated', params.id, scope);
    const rotated = await this.keys.store.rotate(params.id, body.graceSeconds ?? 0);
    if (!rotated) {
      await this.audit.record(caller, 'api-key.rotated', params.id, 'failed', scope);
      throw new AppError(ErrorCode.NOT_FOUND, `No API key ${params.id}.`);
    }
    this.keys.forget(params.id);
    await this.audit.record(caller, 'api-key.rotated', params.id, 'success', scope);
    reply.header('location', `/v1/admin/api-keys/${params.id}`);
    return issued(rotated.record, rotated.key);
  }

  /** No key may carry a scope its creator (or rotator) lacks: 403, audited as denied. */
  private async checkScopes(
    caller: Principal,
    scopes: Scope[],
    action: 'api-key.created' | 'api-key.rotated',
    target: string,
    scope: RequestScope,
  ) {
    const lacking = scopes.filter((scope) => !caller.scopes.includes(scope));
    if (lacking.length === 0) return;
    await this.audit.record(caller, action, target, 'denied', scope);
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `A key cannot grant the scope ${lacking.join(', ')}, which the calling key lacks.`,
    );
  }

  private async refuseConfigured(
    caller: Principal,
    id: string,
    action: 'api-key.revoked' | 'api-key.rotated',
    scope: RequestScope,
  ) {
    if (!this.keys.configured.some((k) => k.id === id)) return;
    await this.audit.record(caller, action, id, 'failed', scope);
    throw new AppError(ErrorCode.CONFLICT, `${id} is a configured key (API_KEYS); change the configuration instead.`);
  }
}

function issued(record: IssuedKeyRecord, key: string): IssuedApiKeyDto {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    key,
    source: 'issued',
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    rateLimitPerMinute: record.rateLimitPerMinute,
  };
}

function issuedDto(record: IssuedKeyRecord): ApiKeyDto {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    source: 'issued',
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    rateLimitPerMinute: record.rateLimitPerMinute,
    lastUsedAt: record.lastUsedAt,
  };
}

function configuredDto(principal: Principal, lastUsedAt: string | null): ApiKeyDto {
  return {
    id: principal.id,
    name: principal.name,
    scopes: principal.scopes,
    source: 'config',
    createdAt: null,
    expiresAt: null,
    rateLimitPerMinute: null,
    lastUsedAt,
  };
}
