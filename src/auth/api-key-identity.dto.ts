import { ApiProperty } from '@nestjs/swagger';
import { SCOPES } from './scopes';

/** Who a key is and what it may do: the fields every description of a key starts with. */
export class ApiKeyIdentityDto {
  @ApiProperty({
    example: 'key_Xb3kq9LmT0aPz1Yc',
    description: 'The key id (`key_...` issued, `cfg_<name>` for a configured key)',
  })
  id!: string;
  @ApiProperty({ example: 'partner-a', description: 'The key name' }) name!: string;
  @ApiProperty({
    enum: SCOPES,
    enumName: 'Scope',
    isArray: true,
    example: ['meeting.terminals:read'],
    description: 'What the key may do',
  })
  scopes!: string[];
}
