/** Injection token of the validated AppConfig (its own file: family code imports it without the loader). */
export const APP_CONFIG = Symbol('APP_CONFIG');
