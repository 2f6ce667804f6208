import type { SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage, ValidationTypes } from 'class-validator';

/**
 * class-validator metadata -> JSON Schema keywords.
 *
 * Mechanism (issue 16): the DTOs keep one set of class-validator decorators, which is what the
 * ValidationPipe enforces; buildOpenApiDocument reads the same metadata through
 * getMetadataStorage() and writes the matching keywords into the generated component schemas and
 * parameters (see openapi-refiner.ts). A validator with no mapping below stops the document build,
 * so a new rule can never be enforced without being documented. Chosen over
 * class-validator-jsonschema (a second, looser schema generator beside @nestjs/swagger's) and over
 * combined decorators (every DTO would need rewriting).
 */

/** A DTO class. */
export type ClassRef = abstract new (...args: never[]) => object;

/** What one property's validators say. */
export interface PropertyRules {
  /** False when a conditional validator (@IsOptional, @ValidateIf) may skip it. */
  required: boolean;
  /** Keywords for the property's own schema. */
  schema: SchemaObject;
  /** Keywords for the items of an array property. */
  items: SchemaObject;
  /** The message of the first validator that declares one (for examples). */
  message?: string;
}

export interface ClassRules {
  properties: Map<string, PropertyRules>;
  /** Groups of which at least one property must be present (`anyOf` of `required`). */
  atLeastOneOf: string[][];
}

/** `context` of a validator that, with a sibling, forms an "at least one of" group. */
export interface AtLeastOneOfContext {
  atLeastOneOf: string[];
}

type Mapper = (constraints: unknown[]) => SchemaObject;

/** The class-validator decorators this API uses, and what each means as JSON Schema. */
const MAPPERS: Record<string, Mapper> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isNumber: () => ({ type: 'number' }),
  isBoolean: () => ({ type: 'boolean' }),
  isArray: () => ({ type: 'array' }),
  isEmail: () => ({ type: 'string', format: 'email' }),
  isUUID: () => ({ type: 'string', format: 'uuid' }),
  isISO8601: () => ({ type: 'string', format: 'date-time' }),
  isIso8601: () => ({ type: 'string', format: 'date-time' }),
  isDateString: () => ({ type: 'string', format: 'date-time' }),
  isUrl: () => ({ type: 'string', format: 'uri' }),
  isEnum: ([entity]) => ({ enum: Object.values(entity as object) }),
  matches: ([pattern]) => ({ type: 'string', pattern: regexSource(pattern) }),
  eachMatches: ([pattern]) => ({ type: 'string', pattern: regexSource(pattern) }),
  isLength: ([min, max]) => ({
    type: 'string',
    ...(typeof min === 'number' && min > 0 ? { minLength: min } : {}),
    ...(typeof max === 'number' ? { maxLength: max } : {}),
  }),
  minLength: ([min]) => ({ type: 'string', minLength: min as number }),
  maxLength: ([max]) => ({ type: 'string', maxLength: max as number }),
  min: ([min]) => ({ minimum: min as number }),
  max: ([max]) => ({ maximum: max as number }),
  isIn: ([values]) => ({ enum: [...(values as unknown[])] }),
  arrayMinSize: ([min]) => ({ type: 'array', minItems: min as number }),
  arrayNotEmpty: () => ({ type: 'array', minItems: 1 }),
  arrayMaxSize: ([max]) => ({ type: 'array', maxItems: max as number }),
  arrayUnique: () => ({ type: 'array', uniqueItems: true }),
  uniqueItems: () => ({ type: 'array', uniqueItems: true }),
};

/** Validators that apply to each element of an array, whatever their `each` option says. */
const ELEMENT_VALIDATORS = new Set(['eachMatches']);

/** Metadata types that carry no schema keyword of their own. */
const STRUCTURAL = new Set<string>([
  ValidationTypes.NESTED_VALIDATION, // the $ref comes from the property's declared type
  ValidationTypes.CONDITIONAL_VALIDATION, // makes the property optional (handled below)
  ValidationTypes.IS_DEFINED, // required is the default; its context may name a group
  ValidationTypes.WHITELIST,
]);

function regexSource(pattern: unknown): string {
  if (!(pattern instanceof RegExp)) return String(pattern);
  if (pattern.flags.replace('u', '') !== '') {
    throw new Error(`OpenAPI: the pattern ${pattern} has flags JSON Schema cannot express`);
  }
  return pattern.source;
}

/** Merges keywords, failing loudly when two validators disagree on one. */
function merge(into: SchemaObject, from: SchemaObject, where: string): void {
  for (const [key, value] of Object.entries(from) as [keyof SchemaObject, unknown][]) {
    const current = into[key];
    if (current === undefined) {
      (into as Record<string, unknown>)[key] = value;
    } else if (key === 'type' && current === 'number' && value === 'integer') {
      into.type = 'integer';
    } else if (key === 'type' && current === 'integer' && value === 'number') {
      // @IsInt already narrowed it.
    } else if (JSON.stringify(current) !== JSON.stringify(value)) {
      throw new Error(`OpenAPI: ${where} has conflicting validators for "${key}"`);
    }
  }
}

/** Every validated property of a class (inherited ones included) with its JSON Schema keywords. */
export function validationRules(target: ClassRef): ClassRules {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
  const properties = new Map<string, PropertyRules>();
  const atLeastOneOf: string[][] = [];
  for (const metadata of metadatas) {
    const where = `${target.name}.${metadata.propertyName}`;
    let rules = properties.get(metadata.propertyName);
    if (!rules) {
      rules = { required: true, schema: {}, items: {} };
      properties.set(metadata.propertyName, rules);
    }
    if (!rules.message && typeof metadata.message === 'string') rules.message = metadata.message;
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) rules.required = false;
    const group = (metadata.context as Partial<AtLeastOneOfContext> | undefined)?.atLeastOneOf;
    if (group && !atLeastOneOf.some((g) => g.join() === group.join())) atLeastOneOf.push([...group]);
    if (STRUCTURAL.has(metadata.type)) continue;
    const mapper = metadata.name ? MAPPERS[metadata.name] : undefined;
    if (!mapper) {
      throw new Error(
        `OpenAPI: no JSON Schema mapping for the validator "${metadata.name ?? metadata.type}" on ${where}; ` +
          'add one to MAPPERS in src/common/openapi/validation-schema.ts',
      );
    }
    const keywords = mapper(metadata.constraints ?? []);
    const perElement = metadata.each || ELEMENT_VALIDATORS.has(metadata.name!);
    if (perElement) {
      merge(rules.schema, { type: 'array' }, where);
      merge(rules.items, keywords, `${where}[]`);
    } else {
      merge(rules.schema, keywords, where);
    }
  }
  return { properties, atLeastOneOf };
}

/** Whether class-validator knows any rule for the class (it is an input model). */
export function hasValidationRules(target: ClassRef): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(target, '', true, false).length > 0;
}
