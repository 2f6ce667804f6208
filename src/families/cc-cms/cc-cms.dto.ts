import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import { PageInfo, PageQuery } from '../../common/paging';
import { toStrictInt } from '../../common/validation';

/** Which terminals: an EID pattern and, optionally, the call center (the list and its stream). */
export class ContactCenterTerminalFilter {
  @ApiProperty({
    example: '8780*',
    description:
      'Equipment id (EID): digits plus the wildcards * and % (any run) and ? (one character), at most 32. ' +
      'A pattern with a wildcard needs at least 4 literal leading digits (CCMS_EID_MIN_LITERAL_PREFIX).',
  })
  @Matches(/^[0-9*%?]{1,32}$/, { message: 'must be 1-32 characters: digits and the wildcards * % ?' })
  eid!: string;

  @ApiPropertyOptional({ example: 1, description: 'Call center id; CC-CMS uses its default when absent' })
  // type integer and the range come from the validators (OpenAPI refiner).
  @Transform(toStrictInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2147483647)
  callCenterId?: number;
}

export class ContactCenterTerminalQuery extends IntersectionType(ContactCenterTerminalFilter, PageQuery) {}

export class ContactCenterTerminalList {
  @ApiProperty({ type: [TerminalStatusDto], description: 'Matching terminals, flattened across UAPs' })
  items!: TerminalStatusDto[];
  @ApiProperty({ type: PageInfo, description: 'Paging' }) page!: PageInfo;
}
