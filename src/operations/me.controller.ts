import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { ApiKeyIdentityDto } from '../auth/api-key-identity.dto';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';

export class MeResponse extends ApiKeyIdentityDto {
  @ApiProperty({
    enum: ['config', 'issued'],
    enumName: 'ApiKeySource',
    description: '`config`: API_KEYS; `issued`: created through the admin API or `npm run keys`',
  })
  source!: 'config' | 'issued';
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When the key stops working; null: never',
  })
  expiresAt!: string | null;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 600,
    description: 'Requests per minute this key may make (its own limit, else RATE_LIMIT_PER_MINUTE)',
  })
  rateLimitPerMinute!: number;
}

@ApiTags('operations')
@ApiSecurity('apiKey')
@Controller('v1/me')
export class MeController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @ApiOperation({
    summary: 'The API key in use',
    description: 'Lets a client check its key: id, name, scopes, where it comes from, expiry and rate limit.',
    operationId: 'getMe',
  })
  @ApiOkResponse({ type: MeResponse, description: 'The key in use' })
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return {
      id: principal.id,
      name: principal.name,
      scopes: principal.scopes,
      source: principal.source,
      expiresAt: principal.expiresAt,
      rateLimitPerMinute: principal.rateLimitPerMinute ?? this.config.rateLimitPerMinute,
    };
  }
}
