/** Every scope a client API key can carry (contract: "Scopes"). */
export const SCOPES = [
  'meeting.terminals:read',
  'meeting.devices:manage',
  'cc.terminals:read',
  'cc.softphones:read',
  'cc.softphones:credentials',
  'cc.calls:read',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
