import { describeTagInputs } from './describe-tag-inputs';

describe('describeTagInputs', () => {
  it.each([
    ['no policy means gitCommit', undefined, { gitState: ['commit', 'tags'], readsContext: true, envVars: [], nondeterministic: false }],
    ['gitCommit', { gitCommit: { variant: 'CommitSha' } }, { gitState: ['commit'], readsContext: true, envVars: [], nondeterministic: false }],
    ['sha256', { sha256: {} }, { gitState: [], readsContext: false, envVars: [], nondeterministic: false }],
    ['inputDigest depends on files only', { inputDigest: {} }, { gitState: [], readsContext: true, envVars: [], nondeterministic: false }],
    ['dateTime', { dateTime: { format: '2006' } }, { gitState: [], readsContext: false, envVars: [], nondeterministic: true }],
    [
      'envTemplate lists the variables it reads, not IMAGE_NAME',
      { envTemplate: { template: '{{.RELEASE}}-{{ .IMAGE_NAME }}-{{default "x" .CHANNEL}}-{{.RELEASE}}' } },
      { gitState: [], readsContext: false, envVars: ['CHANNEL', 'RELEASE'], nondeterministic: false },
    ],
    [
      'envTemplate wins over the others, as in skaffold',
      { gitCommit: {}, envTemplate: { template: '{{.V}}' } },
      { gitState: [], readsContext: false, envVars: ['V'], nondeterministic: false },
    ],
    [
      'customTemplate using GIT and an envTemplate component',
      { customTemplate: { template: '{{.GIT}}-{{.ENV}}', components: [{ name: 'ENV', envTemplate: { template: '{{.STAGE}}' } }] } },
      { gitState: ['commit', 'tags'], readsContext: true, envVars: ['STAGE'], nondeterministic: false },
    ],
    [
      'customTemplate using DATE and SHA only',
      { customTemplate: { template: '{{.DATE}}_{{.SHA}}' } },
      { gitState: [], readsContext: false, envVars: [], nondeterministic: true },
    ],
    [
      'customTemplate overriding GIT with sha256',
      { customTemplate: { template: '{{.GIT}}', components: [{ name: 'GIT', sha256: {} }] } },
      { gitState: [], readsContext: false, envVars: [], nondeterministic: false },
    ],
    [
      'an unparsable template still declares its fields',
      { envTemplate: { template: '{{if .A}}{{.B}}{{end}}' } },
      { gitState: [], readsContext: false, envVars: ['A', 'B'], nondeterministic: false },
    ],
    ['gitCommit Branches reads the branch', { gitCommit: { variant: 'branches' } }, { gitState: ['branch', 'commit'], readsContext: true, envVars: [], nondeterministic: false }],
    ['gitCommit TreeSha', { gitCommit: { variant: 'TreeSha' } }, { gitState: ['commit'], readsContext: true, envVars: [], nondeterministic: false }],
    [
      'gitCommit with ignoreChanges does not read the context',
      { gitCommit: { variant: 'AbbrevCommitSha', ignoreChanges: true } },
      { gitState: ['commit'], readsContext: false, envVars: [], nondeterministic: false },
    ],
    ['an unknown variant is treated as the widest', { gitCommit: { variant: 'Tagz' } }, { gitState: ['branch', 'commit', 'tags'], readsContext: true, envVars: [], nondeterministic: false }],
  ])('%s', (_name, policy, expected) => {
    expect(describeTagInputs(policy)).toEqual(expected);
  });
});
