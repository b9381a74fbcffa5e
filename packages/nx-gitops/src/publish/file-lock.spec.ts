import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs holders one at a time and releases the lock', async () => {
    const path = join(dir, 'x.lock');
    let inside = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock({ path }, async () => {
          inside++;
          peak = Math.max(peak, inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inside--;
        }),
      ),
    );
    expect(peak).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const path = join(dir, 'x.lock');
    writeFileSync(path, '2147483646');
    await expect(withFileLock({ path, timeoutMs: 5000 }, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up with a hint when a live holder keeps the lock', async () => {
    const path = join(dir, 'x.lock');
    writeFileSync(path, String(process.pid));
    await expect(withFileLock({ path, timeoutMs: 50 }, async () => 'ran')).rejects.toThrow(/Timed out waiting for the lock/);
  });
});
