import { FAMILIES, FamilyScope } from '../families/registry';

/** Scopes of the gateway's own administration routes. */
const ADMIN_SCOPES = ['admin.keys:manage', 'admin.audit:read'] as const;

export type Scope = FamilyScope | (typeof ADMIN_SCOPES)[number];

/** Every scope a client API key can carry (contract: "Scopes"): each family's, then the admin ones. */
export const SCOPES: readonly Scope[] = [...FAMILIES.flatMap((f) => f.scopes), ...ADMIN_SCOPES];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
