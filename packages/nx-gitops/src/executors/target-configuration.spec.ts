import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configurationFromCommandLine, requestedConfiguration, resolveTaskEnvironment } from './target-configuration';

describe('configurationFromCommandLine', () => {
  it.each([
    [['run', 'foo:publish-manifest:prodution'], 'prodution'],
    [['foo:render:production'], 'production'],
    [['affected', '-t', 'publish-manifest', '-c', 'prodution'], 'prodution'],
    [['run-many', '-t', 'render', '-c=staging'], 'staging'],
    [['affected', '--configuration', 'production', '--batch'], 'production'],
    [['affected', '--configuration=production'], 'production'],
    [['render', 'foo', '--c=production'], 'production'],
    [['run', 'foo:render'], undefined],
    [['affected', '-t', 'publish-manifest'], undefined],
    [['run', 'foo:render', '--', '-c', 'x'], undefined],
  ])('%j asks for %s', (args, expected) => {
    expect(configurationFromCommandLine(args)).toBe(expected);
  });
});

describe('requestedConfiguration', () => {
  it('reads the command line of the nearest Nx process above the task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-gitops-cmdline-'));
    const script = join(dir, 'nx.js');
    // The stand-in for Nx starts a child, as Nx starts a task, and prints the child's pid.
    writeFileSync(
      script,
      'const { spawn } = require("node:child_process");\n' +
        'const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });\n' +
        'process.stdout.write(child.pid + "\\n"); process.on("SIGTERM", () => { child.kill(); process.exit(0); });\n',
    );
    const child = spawn(process.execPath, [script, 'affected', '-t', 'publish-manifest', '-c', 'prodution'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const taskPid = Number(String(await new Promise((resolve) => child.stdout.once('data', resolve))).trim());
      expect(requestedConfiguration({ fromPid: taskPid })).toBe('prodution');
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is undefined when no Nx process is above (jest here)', () => {
    expect(requestedConfiguration()).toBeUndefined();
  });
});

describe('resolveTaskEnvironment with the configuration asked for', () => {
  const target = { options: { environment: 'develop' }, configurations: { develop: { environment: 'develop' }, production: { environment: 'production' } } };

  it('refuses a configuration Nx replaced by the default, naming the valid ones', () => {
    expect(() =>
      resolveTaskEnvironment({ project: 'foo', targetName: 'publish-manifest', configurationName: 'develop', target, environment: 'develop', requested: 'prodution' }),
    ).toThrow('foo:publish-manifest has no configuration "prodution"; its configurations are: develop, production.');
  });

  it('runs the configuration asked for when the target has it', () => {
    expect(resolveTaskEnvironment({ project: 'foo', targetName: 'render', configurationName: 'production', target, environment: 'production', requested: 'production' })).toBe(
      'production',
    );
  });
});
