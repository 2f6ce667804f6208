import { z } from 'zod';

export const CC_CMS_SUCCESS = '0100000';

/** Every queryterminalstatus answer: a result code, and on success the terminals. */
export const ccCmsEnvelope = z.object({ resultCode: z.string(), resultDesc: z.unknown() });

/** CC-CMS sends most values as strings; numbers are tolerated and read as text. */
const text = z.union([z.string(), z.number()]).optional();
const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional();
const uapKey = z.string().regex(/^[^#]+#.+$/, 'group key is not "ip#uapId"');

const rawTerminal = z.object({
  equipmentId: z.string().min(1),
  ccuModuleNumber: text,
  terminationType: text,
  registerStatus: text,
  socketStatus: text,
  ipAndPort: text,
  monitorFlag: text,
  protocolType: text,
  roamIpAndPort: text,
  tlsStatus: text,
  ipType: text,
});
export type RawTerminal = z.infer<typeof rawTerminal>;

interface TerminalGroup {
  uapAddress: string;
  uapId: string;
  terminals: RawTerminal[];
  /** The group's own total (grouped nesting only). */
  count?: number;
}

/** Both documented nestings, normalized to groups: the AICC one carries one overall count. */
export interface TerminalGroups {
  groups: TerminalGroup[];
  overallCount?: number;
}

function splitUapKey(key: string): Pick<TerminalGroup, 'uapAddress' | 'uapId'> {
  const at = key.indexOf('#');
  return { uapAddress: key.slice(0, at), uapId: key.slice(at + 1) };
}

/** `resultDesc.data["ip#n"] = [..]` with `resultDesc.count` (the AICC documentation's nesting). */
const aiccNesting = z
  .object({ data: z.record(uapKey, z.array(rawTerminal)), count })
  .transform((desc): TerminalGroups => ({
    groups: Object.entries(desc.data).map(([key, terminals]) => ({ ...splitUapKey(key), terminals })),
    overallCount: desc.count,
  }));

/** `resultDesc["ip#n"] = {data: [..], count}`: each group counts its own terminals. */
const groupedNesting = z
  .record(uapKey, z.object({ data: z.array(rawTerminal), count }))
  .transform((desc): TerminalGroups => ({
    groups: Object.entries(desc).map(([key, group]) => ({
      ...splitUapKey(key),
      terminals: group.data,
      count: group.count,
    })),
  }));

export const terminalGroups = z.union([aiccNesting, groupedNesting]);
