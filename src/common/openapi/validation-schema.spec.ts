import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsPhoneNumber, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { RequiredUnlessAnyOf } from '../at-least-one-of';
import { EachMatches } from '../each-matches';
import { validationRules } from './validation-schema';

class Child {
  @Length(2, 8) name!: string;
}

class Sample {
  @Matches(/^[a-z]+$/) code!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  count?: number;

  @ArrayMaxSize(3)
  @EachMatches(/^\d+$/, 'must be digits')
  ids!: string[];

  @IsOptional()
  @IsIn(['a', 'b'])
  mode?: string;

  @RequiredUnlessAnyOf(['other'], { message: 'one of them is required' })
  @Length(1, 4)
  one?: string;

  @IsOptional()
  @ValidateNested()
  other?: Child;
}

class Unmapped {
  @IsPhoneNumber('CN') phone!: string;
}

class FlaggedPattern {
  @Matches(/^abc$/i) code!: string;
}

describe('class-validator metadata as JSON Schema', () => {
  const rules = validationRules(Sample);
  const of = (name: string) => rules.properties.get(name)!;

  it('maps each validator to its keyword and required to the absence of a conditional', () => {
    expect(of('code')).toMatchObject({ required: true, schema: { type: 'string', pattern: '^[a-z]+$' } });
    expect(of('count')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 10 } });
    expect(of('ids')).toMatchObject({ schema: { type: 'array', maxItems: 3 }, items: { pattern: '^\\d+$' } });
    expect(of('mode').schema).toEqual({ enum: ['a', 'b'] });
    expect(of('other')).toMatchObject({ required: false, schema: {} });
  });

  it('keeps an "at least one of" group from the validator context', () => {
    expect(rules.atLeastOneOf).toEqual([['one', 'other']]);
    expect(of('one')).toMatchObject({ required: false, schema: { minLength: 1, maxLength: 4 } });
  });

  it('refuses a validator it cannot document, so enforcement and the document cannot drift', () => {
    expect(() => validationRules(Unmapped)).toThrow(/no JSON Schema mapping for the validator "isPhoneNumber"/);
  });

  it('refuses a pattern whose flags JSON Schema cannot express', () => {
    expect(() => validationRules(FlaggedPattern)).toThrow(/flags/);
  });
});
