import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerMetadata } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage } from 'class-validator';
import { createRequire } from 'node:module';
import { AppError, FieldError } from './errors/app-error';
import { ErrorCode } from './errors/error-code';

/**
 * Global pipe: unknown fields are rejected, values are transformed to their DTO types, and
 * every failure becomes one VALIDATION_FAILED problem listing each bad field by path, with one
 * message per field: the rule that matters most (see firstBrokenRule).
 */
export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // All rules run so that firstBrokenRule can choose: class-validator would stop at the first
    // rule declared from the bottom, e.g. "must not be greater than 100" for limit=abc.
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      return new AppError(ErrorCode.VALIDATION_FAILED, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
        errors: fields,
      });
    },
  });
}

/** class-transformer's decorator metadata (the package ships its types apart from its CommonJS build). */
const { defaultMetadataStorage } = createRequire(__filename)('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadata;
};

/** Checks a path-parameter object and builds the DTO instance, or says `undefined` (not valid). */
type ParamCheck = (value: unknown) => object | undefined;

/**
 * The ValidationPipe with one hot-path shortcut (docs/performance.md): path parameters of a DTO
 * whose every rule is a plain `@Matches(regex)` on a string property, without class-transformer
 * decorators (TerminalNumberParams, CallParams, DeviceParams, ...), are checked by the regexes
 * directly instead of class-transformer + class-validator (~3 % of a status read's CPU). Only a
 * valid value takes the shortcut; anything else (a mismatch, a missing or unknown property, any
 * other DTO or argument type) goes through the full pipe, so errors stay exactly as they were.
 */
class GatewayValidationPipe extends ValidationPipe {
  private readonly paramChecks = new Map<unknown, ParamCheck | null>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param' && metadata.metatype) {
      const checked = this.paramCheck(metadata.metatype)?.(value);
      if (checked) return checked;
    }
    return super.transform(value, metadata);
  }

  private paramCheck(metatype: NonNullable<ArgumentMetadata['metatype']>): ParamCheck | null {
    let check = this.paramChecks.get(metatype);
    if (check === undefined) {
      check = compileParamCheck(metatype);
      this.paramChecks.set(metatype, check);
    }
    return check;
  }
}

/** A check for a DTO of `@Matches(regex)` string properties only; null for any other DTO. */
function compileParamCheck(metatype: new () => object): ParamCheck | null {
  const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false);
  if (rules.length === 0) return null;
  const patterns = new Map<string, RegExp>();
  for (const rule of rules) {
    const [pattern, modifiers] = (rule.constraints ?? []) as unknown[];
    const plain =
      rule.type === 'customValidation' &&
      rule.name === 'matches' &&
      !rule.each &&
      !rule.always &&
      (rule.groups ?? []).length === 0 &&
      !rule.validateIf &&
      pattern instanceof RegExp &&
      !pattern.global &&
      !pattern.sticky &&
      modifiers === undefined &&
      !patterns.has(rule.propertyName);
    if (!plain) return null;
    patterns.set(rule.propertyName, pattern);
  }
  const transformed =
    defaultMetadataStorage.getExposedMetadatas(metatype).length > 0 ||
    defaultMetadataStorage.getExcludedMetadatas(metatype).length > 0 ||
    [...patterns.keys()].some(
      (name) =>
        defaultMetadataStorage.findTransformMetadatas(metatype, name, TransformationType.PLAIN_TO_CLASS).length > 0 ||
        defaultMetadataStorage.findTypeMetadata(metatype, name) !== undefined,
    );
  if (transformed) return null;
  const entries = [...patterns];
  return (value) => {
    if (typeof value !== 'object' || value === null) return undefined;
    const fields = value as Record<string, unknown>;
    let count = 0;
    for (const name in fields) {
      if (!patterns.has(name)) return undefined; // unknown property: the pipe says so
      count++;
    }
    if (count !== entries.length) return undefined;
    const instance = new metatype() as Record<string, unknown>;
    for (const [name, pattern] of entries) {
      const field = fields[name];
      if (typeof field !== 'string' || !pattern.test(field)) return undefined;
      instance[name] = field;
    }
    return instance;
  };
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = !parent
      ? error.property
      : /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`;
    const own = firstBrokenRule(error.constraints).map((message) => {
      const element = /^\[(\d+)\] (.*)$/.exec(message);
      if (element) return { field: `${field}[${element[1]}]`, message: element[2]! };
      // class-validator's defaults read "<property> must ..."; the field is named separately.
      // A custom message that merely starts with the name ("email or sms is required") stays whole.
      const rest = message.slice(error.property.length + 1);
      return {
        field,
        message: message.startsWith(`${error.property} `) && /^(must|should) /.test(rest) ? rest : message,
      };
    });
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

// Range and size rules only mean something once presence and type hold.
const RANGE_RULES = new Set([
  'min',
  'max',
  'minLength',
  'maxLength',
  'isLength',
  'arrayMinSize',
  'arrayMaxSize',
  'uniqueItems',
  'arrayNotEmpty',
  'minDate',
  'maxDate',
]);
const rank = (rule: string) =>
  rule === 'isDefined' || rule === 'whitelistValidation' ? 0 : RANGE_RULES.has(rule) ? 2 : 1;

/** The message of the one rule a field is reported by: presence, then type or format, then range. */
export function firstBrokenRule(constraints: Record<string, string> | undefined): string[] {
  let best: [string, string] | undefined;
  for (const entry of Object.entries(constraints ?? {})) {
    if (!best || rank(entry[0]) < rank(best[0])) best = entry;
  }
  return best ? [best[1]] : [];
}

/** Query-string integers: only a plain decimal integer converts; anything else fails validation. */
export const toStrictInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
