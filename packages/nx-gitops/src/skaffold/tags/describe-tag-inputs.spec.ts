import { describeTagInputs } from './describe-tag-inputs';

describe('describeTagInputs', () => {
  it.each([
    ['no policy means gitCommit', undefined, { dependsOnCommit: true, envVars: [], nondeterministic: false }],
    ['gitCommit', { gitCommit: { variant: 'CommitSha' } }, { dependsOnCommit: true, envVars: [], nondeterministic: false }],
    ['sha256', { sha256: {} }, { dependsOnCommit: false, envVars: [], nondeterministic: false }],
    ['inputDigest depends on files only', { inputDigest: {} }, { dependsOnCommit: false, envVars: [], nondeterministic: false }],
    ['dateTime', { dateTime: { format: '2006' } }, { dependsOnCommit: false, envVars: [], nondeterministic: true }],
    [
      'envTemplate lists the variables it reads, not IMAGE_NAME',
      { envTemplate: { template: '{{.RELEASE}}-{{ .IMAGE_NAME }}-{{default "x" .CHANNEL}}-{{.RELEASE}}' } },
      { dependsOnCommit: false, envVars: ['CHANNEL', 'RELEASE'], nondeterministic: false },
    ],
    [
      'envTemplate wins over the others, as in skaffold',
      { gitCommit: {}, envTemplate: { template: '{{.V}}' } },
      { dependsOnCommit: false, envVars: ['V'], nondeterministic: false },
    ],
    [
      'customTemplate using GIT and an envTemplate component',
      { customTemplate: { template: '{{.GIT}}-{{.ENV}}', components: [{ name: 'ENV', envTemplate: { template: '{{.STAGE}}' } }] } },
      { dependsOnCommit: true, envVars: ['STAGE'], nondeterministic: false },
    ],
    [
      'customTemplate using DATE and SHA only',
      { customTemplate: { template: '{{.DATE}}_{{.SHA}}' } },
      { dependsOnCommit: false, envVars: [], nondeterministic: true },
    ],
    [
      'customTemplate overriding GIT with sha256',
      { customTemplate: { template: '{{.GIT}}', components: [{ name: 'GIT', sha256: {} }] } },
      { dependsOnCommit: false, envVars: [], nondeterministic: false },
    ],
    [
      'an unparsable template still declares its fields',
      { envTemplate: { template: '{{if .A}}{{.B}}{{end}}' } },
      { dependsOnCommit: false, envVars: ['A', 'B'], nondeterministic: false },
    ],
  ])('%s', (_name, policy, expected) => {
    expect(describeTagInputs(policy)).toEqual(expected);
  });
});
