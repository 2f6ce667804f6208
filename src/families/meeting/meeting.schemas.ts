import { z } from 'zod';

/** Meeting sends enum values as strings; numbers are tolerated (the mapper reads either). */
const enumValue = z.union([z.string(), z.number()]).optional();

/** userstatus answers a bare array of UserStatusDTO; `Number` comes back with a `tel:` prefix. */
export const userStatusResponse = z.array(
  z.object({ Number: z.string().min(1), RegStatus: enumValue, CallStatus: enumValue }),
);
export type RawUserStatus = z.infer<typeof userStatusResponse>[number];

/** App ID authentication: the token and either its lifetime (validPeriod, s) or its expiry (epoch s). */
export const appAuthResponse = z
  .object({
    accessToken: z.string().min(1),
    validPeriod: z.number().positive().optional(),
    expireTime: z.number().positive().optional(),
  })
  .refine((body) => body.validPeriod !== undefined || body.expireTime !== undefined, 'no token validity');
