import { parseAuthenticateHeader } from './registry-auth';

describe('parseAuthenticateHeader', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/foo:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/foo:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull,push' } }],
    ],
    ['BEARER Realm=https://x/token, Service=x', [{ scheme: 'bearer', params: { realm: 'https://x/token', service: 'x' } }]],
    ['Basic realm="a \\"quoted\\" realm"', [{ scheme: 'basic', params: { realm: 'a "quoted" realm' } }]],
    [
      'Basic realm="basic", Bearer realm="https://t/token"',
      [
        { scheme: 'basic', params: { realm: 'basic' } },
        { scheme: 'bearer', params: { realm: 'https://t/token' } },
      ],
    ],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseAuthenticateHeader(header)).toEqual(expected);
  });
});
