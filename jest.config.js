// Unit tests are pure and fast; integration tests need the local broker (scripts/kafka.sh up)
// and the compiled worker runtime (npm run build), which `npm test` provides.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      moduleNameMapper,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      moduleNameMapper,
      testEnvironment: 'node',
      slowTestThreshold: 60,
      // Stops the private SASL_SSL broker that test/integration/security/ starts on first use.
      globalTeardown: '<rootDir>/test/helpers/secure-kafka-teardown.ts',
    },
  ],
};
