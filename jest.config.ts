import type { Config } from 'jest';

/** ESM-only packages that jest (CommonJS) must transform before it can load them. */
const esmPackages = [
  'execa',
  '@sindresorhus/merge-streams',
  '@sec-ant/readable-stream',
  'figures',
  'get-stream',
  'human-signals',
  'is-plain-obj',
  'is-stream',
  'npm-run-path',
  'pretty-ms',
  'parse-ms',
  'strip-final-newline',
  'unicorn-magic',
  'yoctocolors',
  'is-unicode-supported',
  'path-key',
];

const shared: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [`node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^unicorn-magic$': '<rootDir>/node_modules/unicorn-magic/node.js',
    '^nx-gitops$': '<rootDir>/packages/nx-gitops/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // The built package in dist/ has the same package name as its source.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

const config: Config = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/packages/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/e2e/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'],
    },
  ],
};

export default config;
