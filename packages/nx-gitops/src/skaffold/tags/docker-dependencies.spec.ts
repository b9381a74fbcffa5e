import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import skaffoldCases from './__fixtures__/skaffold-docker-dependencies.json';
import { listArtifactDependencies, listDockerDependencies, readDockerignorePatterns } from './docker-dependencies';

interface DependencyCase {
  description: string;
  dockerfile: string | null;
  workspace: string;
  ignore: string;
  ignoreFilename: string;
  buildArgs: Record<string, string | null>;
  env: Record<string, string>;
  /** null: listing must fail. */
  expected: string[] | null;
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-gitops-docker-deps-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function touch(root: string, files: string[]): void {
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), '');
  }
}

describe('listDockerDependencies (skaffold docker/dependencies_test.go TestGetDependencies)', () => {
  // The ONBUILD cases of that table need a registry to read the base image and are left out.
  it.each(skaffoldCases as DependencyCase[])('$description', (testCase) => {
    const root = tempDir();
    touch(root, ['docker/nginx.conf', 'docker/bar', 'server.go', 'test.conf', 'worker.go', 'bar', 'file', '.dot']);
    fs.mkdirSync(path.join(root, 'emptydir'));
    if (testCase.dockerfile !== null) fs.writeFileSync(path.join(root, testCase.workspace, 'Dockerfile'), testCase.dockerfile);
    if (testCase.ignore) {
      fs.writeFileSync(path.join(root, testCase.workspace, testCase.ignoreFilename || '.dockerignore'), testCase.ignore);
    }
    const list = () =>
      listDockerDependencies({
        workspaceDir: path.join(root, testCase.workspace),
        dockerfile: 'Dockerfile',
        buildArgs: testCase.buildArgs,
        env: testCase.env,
      });
    if (testCase.expected === null) expect(list).toThrow(GitopsError);
    else expect(list()).toEqual(testCase.expected);
  });
});

describe('listDockerDependencies (Dockerfile syntax)', () => {
  it.each([
    ['JSON form and flags', 'FROM x\nCOPY --chown=1:1 --chmod=644 ["server.go", "file", "/app/"]\n', ['Dockerfile', 'file', 'server.go']],
    ['line continuation with a comment inside', 'FROM x\nCOPY \\\n# a comment\n  server.go \\\n  /app/\n', ['Dockerfile', 'server.go']],
    ['escape directive', '# escape=`\nFROM x\nCOPY `\n  server.go /app/\n', ['Dockerfile', 'server.go']],
    ['heredoc body is not read as instructions', 'FROM x\nRUN <<EOF\nCOPY file /x\nEOF\nCOPY <<EOT /etc/conf\nhello\nEOT\nCOPY server.go /\n', ['Dockerfile', 'server.go']],
    ['ENV with quotes and ${VAR:-default}', 'FROM x\nENV DIR="docker"\nCOPY ${DIR}/bar ${MISSING:-server.go} /\n', ['Dockerfile', 'docker/bar', 'server.go']],
    ['--from copies and remote ADD are not context files', 'FROM x AS build\nCOPY --from=build /a /b\nADD https://example.com/x /x\nCOPY file /\n', ['Dockerfile', 'file']],
    ['glob with a character class', 'FROM x\nCOPY [sw]*.go /\n', ['Dockerfile', 'server.go', 'worker.go']],
  ])('%s', (_name, dockerfile, expected) => {
    const root = tempDir();
    touch(root, ['docker/bar', 'server.go', 'worker.go', 'file']);
    fs.writeFileSync(path.join(root, 'Dockerfile'), dockerfile);
    expect(listDockerDependencies({ workspaceDir: root, env: {} })).toEqual(expected);
  });

  it('reads a custom Dockerfile path and its own .dockerignore', () => {
    const root = tempDir();
    touch(root, ['a/keep.txt', 'a/drop.log']);
    fs.mkdirSync(path.join(root, 'build'));
    fs.writeFileSync(path.join(root, 'build/app.Dockerfile'), 'FROM x\nCOPY a /a\n');
    fs.writeFileSync(path.join(root, 'build/app.Dockerfile.dockerignore'), '# logs\n**/*.log\n');
    expect(listDockerDependencies({ workspaceDir: root, dockerfile: 'build/app.Dockerfile', env: {} })).toEqual([
      'a/keep.txt',
      'build/app.Dockerfile',
    ]);
  });

  it('skips the files of a symlinked directory without following it', () => {
    const root = tempDir();
    touch(root, ['real/x']);
    fs.symlinkSync(path.join(root, 'real'), path.join(root, 'link'));
    fs.writeFileSync(path.join(root, 'Dockerfile'), 'FROM x\nCOPY . /\n');
    expect(listDockerDependencies({ workspaceDir: root, env: {} })).toEqual(['Dockerfile', 'link', 'real/x']);
  });
});

describe('readDockerignorePatterns', () => {
  it('drops comments and blank lines, cleans paths and keeps exceptions', () => {
    expect(readDockerignorePatterns('# comment\n\n /.*\n!  ./keep/../keep.txt \nbuild/\n')).toEqual(['.*', '!keep.txt', 'build']);
  });
});

describe('listArtifactDependencies', () => {
  it('lists every file under the context for builders without a Dockerfile, except .git', () => {
    const root = tempDir();
    touch(root, ['pom.xml', 'src/Main.java', '.git/HEAD']);
    expect(listArtifactDependencies({ artifact: { image: 'app', jib: {} }, workspaceDir: root })).toEqual([
      path.join(root, 'pom.xml'),
      path.join(root, 'src/Main.java'),
    ]);
  });

  it('gives absolute paths of a docker artifact, the default builder', () => {
    const root = tempDir();
    touch(root, ['server.go']);
    fs.writeFileSync(path.join(root, 'Dockerfile'), 'FROM x\nCOPY server.go /\n');
    expect(listArtifactDependencies({ artifact: { image: 'app' }, workspaceDir: root, env: {} })).toEqual([
      path.join(root, 'Dockerfile'),
      path.join(root, 'server.go'),
    ]);
  });
});
