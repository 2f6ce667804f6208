import { IsDefined, ValidateIf, ValidationOptions } from 'class-validator';
import type { AtLeastOneOfContext } from './openapi/validation-schema';

/**
 * On `property`: it is required unless one of `others` is present ("email or sms"). The group is
 * kept in the validator's context, so the OpenAPI document shows it as `anyOf` of `required`.
 */
export function RequiredUnlessAnyOf(others: string[], options: ValidationOptions = {}) {
  return (target: object, property: string) => {
    const context: AtLeastOneOfContext = { atLeastOneOf: [property, ...others] };
    ValidateIf((o: Record<string, unknown>) => o[property] !== undefined || others.every((k) => o[k] === undefined))(
      target,
      property,
    );
    IsDefined({ ...options, context })(target, property);
  };
}
