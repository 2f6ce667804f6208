/** Injection token of the gateway's one ioredis connection. */
export const REDIS = Symbol('REDIS');
