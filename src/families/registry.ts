import type { DynamicModule } from '@nestjs/common';
import { ccCmsFamily } from './cc-cms/cc-cms.family';
import { ccManagementFamily } from './cc-management/cc-management.family';
import { meetingFamily } from './meeting/meeting.family';

/**
 * The upstream families this gateway fronts: the one list configuration, scopes, modules,
 * readiness, metrics, the sandbox, the benchmark and the tests derive from. A new family is a
 * folder exporting a FamilyDefinition plus one line here.
 */
export const FAMILIES = [meetingFamily, ccCmsFamily, ccManagementFamily] as const;

export type Family = (typeof FAMILIES)[number];
export type FamilyId = Family['id'];
export const FAMILY_IDS: readonly FamilyId[] = FAMILIES.map((f) => f.id);

/** Settings per family id; undefined for a family that is not configured. */
export type FamilySettings = {
  [F in Family as F['id']]: Parameters<F['module']>[0];
};

/** Every family scope, in registry order. */
export type FamilyScope = Family['scopes'][number];

/** Each family's Nest module with its own settings (undefined: the family answers 503). */
export function familyModules(settings: FamilySettings): DynamicModule[] {
  // TypeScript cannot pair each family with its own settings type inside map; the keys do.
  return FAMILIES.map((family) => (family.module as (s: unknown) => DynamicModule)(settings[family.id]));
}
