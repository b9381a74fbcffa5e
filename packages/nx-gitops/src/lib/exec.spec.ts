import { CommandError, runCommand, runWithConcurrency } from './exec';
import { GitopsError } from './errors';

describe('runCommand', () => {
  it('captures stdout of a real process', async () => {
    const result = await runCommand('git', ['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^git version /);
  });

  it('throws a CommandError quoting the command and the tail of stderr', async () => {
    const error = await runCommand('git', ['rev-parse', 'no-such-ref'], { cwd: '/' }).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.message).toContain('git rev-parse no-such-ref');
    expect(error.message).toMatch(/not a git repository|unknown revision/);
  });

  it('redacts secrets from the command and stderr', async () => {
    const error = await runCommand('git', ['ls-remote', 'https://user:s3cr3t-value@127.0.0.1:9/x.git'], {
      secrets: ['s3cr3t-value'],
      env: { GIT_TERMINAL_PROMPT: '0' },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.message).not.toContain('s3cr3t-value');
  });

  it('names the option to change when the binary is missing', async () => {
    const error = await runCommand('no-such-binary-nx-gitops', [], { binaryOption: 'kustomizeBinary' }).catch((e) => e);
    expect(error).toBeInstanceOf(GitopsError);
    expect(error.hint).toContain('kustomizeBinary');
  });

  it('returns the exit code with allowFailure', async () => {
    const result = await runCommand('git', ['rev-parse', 'nope'], { cwd: '/', allowFailure: true });
    expect(result.exitCode).not.toBe(0);
  });
});

describe('runWithConcurrency', () => {
  it('keeps order and bounds parallelism', async () => {
    let running = 0;
    let peak = 0;
    const tasks = [5, 1, 3, 2].map((delay, index) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running--;
      return index;
    });
    await expect(runWithConcurrency(2, tasks)).resolves.toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
  });
});
