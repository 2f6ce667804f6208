import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * No element of the array appears twice, checked in linear time with a Set (class-validator's
 * ArrayUnique compares every pair). Arrays longer than `maxItems` are left to the size rule,
 * which reports them, so an oversized body costs no uniqueness work at all.
 */
export function UniqueItems(maxItems: number, options?: ValidationOptions) {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'uniqueItems',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => {
          if (!Array.isArray(value) || value.length > maxItems) return true;
          return new Set(value).size === value.length;
        },
        defaultMessage: () => 'must not contain duplicates',
      },
    });
}
