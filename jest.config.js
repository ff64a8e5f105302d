/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest'],
  },
  // @middy/core 6, @kubernetes/client-node 2.x and aws-local-stepfunctions are ESM-only: let swc transform them.
  transformIgnorePatterns: [
    '/node_modules/(?!(@middy|@kubernetes/client-node|openid-client|oauth4webapi|jose|jsonpath-plus|rfc4648|socks-proxy-agent|agent-base|aws-local-stepfunctions)/)',
  ],
  testTimeout: 60000,
};
