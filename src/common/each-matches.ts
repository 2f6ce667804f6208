import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Every element of a string array matches `pattern`. The message starts with `[i] ` for the
 * first bad element, which flattenValidationErrors turns into the field path `numbers[i]`.
 */
export function EachMatches(pattern: RegExp, description: string, options?: ValidationOptions) {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'eachMatches',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      // The pattern is kept as a constraint so the OpenAPI document can show it (items.pattern).
      constraints: [pattern],
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) && value.every((v) => typeof v === 'string' && pattern.test(v)),
        defaultMessage: (args) => {
          if (!Array.isArray(args?.value)) return `must be an array of strings`;
          const bad = (args.value as unknown[]).findIndex((v) => typeof v !== 'string' || !pattern.test(v));
          return `[${bad}] ${description}`;
        },
      },
    });
}
