import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toStrictInt } from './validation';

/** `?limit=&offset=` of every list route; out of range is a 400, never clamped. */
export class PageQuery {
  // type integer, minimum and maximum come from the validators (OpenAPI refiner).
  @ApiPropertyOptional({ default: 100, description: 'Page size' })
  @Transform(toStrictInt)
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1, { message: 'must be between 1 and 100' })
  @Max(100, { message: 'must be between 1 and 100' })
  limit: number = 100;

  @ApiPropertyOptional({ default: 0, description: 'Items to skip' })
  @Transform(toStrictInt)
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0, { message: 'must be between 0 and 1000000' })
  @Max(1_000_000, { message: 'must be between 0 and 1000000' })
  offset: number = 0;
}

export class PageInfo {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, example: 100, description: 'Page size' }) limit!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: 'Items skipped' }) offset!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 250,
    description: 'Total items the upstream reports; on a page with items, never below offset + items',
  })
  total!: number;
}

/**
 * The total a page reports: the upstream's own figure, but on a page with items never below
 * what the page itself proves exists (`offset + items`).
 */
export function pageTotal(reported: number | undefined, offset: number, itemCount: number): number {
  const proven = itemCount > 0 ? offset + itemCount : 0;
  return Math.max(reported ?? proven, proven);
}
