import { z } from 'zod';

/** AICC's envelope: `retCode` "0" is success; anything else is a body-level outcome. */
export const aiccEnvelope = z.object({
  retCode: z.string(),
  retMsg: z.string().optional(),
  result: z.unknown().optional(),
});
export type AiccEnvelope = z.infer<typeof aiccEnvelope>;

/** AICC sends numbers as strings or numbers, and leaves optional fields empty or null. */
const text = z.union([z.string(), z.number()]).nullish();
const port = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const rawServer = z.object({
  regIPAddress: z.string().min(1),
  regPort: port,
  sipServiceIp: text,
  sipServicePort: text,
});
export type RawServer = z.infer<typeof rawServer>;

const rawPhone = z.object({
  phoneNum: z.union([z.string().min(1), z.number()]),
  password: text,
  id: text,
  status: text,
  remark: text,
  tenantId: text,
  partdbId: text,
});
export type RawPhone = z.infer<typeof rawPhone>;

/** queryPhone's result: the V2 tables, or V1's top-level regIPAddress/regPort. */
export const phoneResult = z
  .object({
    total: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    phone: z.array(rawPhone).optional(),
    singleRegServ: z.array(rawServer).optional(),
    poolRegServ: z.record(z.string(), z.array(rawServer)).optional(),
    regIPAddress: z.string().min(1).optional(),
    regPort: port.optional(),
  })
  .refine((r) => (r.regIPAddress === undefined) === (r.regPort === undefined), 'regIPAddress without regPort');
export type PhoneResult = z.infer<typeof phoneResult>;

/** queryCallState's result; times are epoch milliseconds as strings or numbers. */
export const callResult = z.object({
  state: text,
  reasonCode: text,
  callData: text,
  caller: text,
  called: text,
  startTime: text,
  endTime: text,
  callerPresent: text,
  agentPresent: text,
});
export type CallResult = z.infer<typeof callResult>;
