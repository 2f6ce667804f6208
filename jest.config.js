// Unit tests (src, *.spec.ts) and HTTP end-to-end tests (test, *.e2e-spec.ts) in one run.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // content-disposition (used by @fastify/static for Swagger UI assets) ships ESM only; Node 20's
  // require(esm) is not available inside Jest, so it is compiled to CommonJS like our sources.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
};
