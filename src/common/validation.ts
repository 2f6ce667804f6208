import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './errors/app-error';
import { ErrorCode } from './errors/error-code';

/**
 * Global pipe: unknown fields are rejected, values are transformed to their DTO types, and
 * every failure becomes one VALIDATION_FAILED problem listing each bad field by path, with one
 * message per field: the rule that matters most (see firstBrokenRule).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
function firstBrokenRule(constraints: Record<string, string> | undefined): string[] {
  let best: [string, string] | undefined;
  for (const entry of Object.entries(constraints ?? {})) {
    if (!best || rank(entry[0]) < rank(best[0])) best = entry;
  }
  return best ? [best[1]] : [];
}

/** Query-string integers: only a plain decimal integer converts; anything else fails validation. */
export const toStrictInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
