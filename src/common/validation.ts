import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './errors/app-error';
import { ErrorCode } from './errors/error-code';

/**
 * Global pipe: unknown fields are rejected, values are transformed to their DTO types, and
 * every failure becomes one VALIDATION_FAILED problem listing each bad field by path.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      return new AppError(ErrorCode.VALIDATION_FAILED, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
        errors: fields,
      });
    },
  });
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = !parent
      ? error.property
      : /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => {
      const element = /^\[(\d+)\] (.*)$/.exec(message);
      if (element) return { field: `${field}[${element[1]}]`, message: element[2]! };
      return {
        field,
        message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
      };
    });
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Query-string integers: only a plain decimal integer converts; anything else fails validation. */
export const toStrictInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
