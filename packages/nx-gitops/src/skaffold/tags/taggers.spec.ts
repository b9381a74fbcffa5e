import { GitopsError } from '../../lib/errors';
import { envTemplateTag } from './env-template';
import { sha256Tag } from './sha256';
import { tagImage } from './tag-image';

describe('envTemplateTag (skaffold env_template_test.go)', () => {
  it.each([
    ['empty env', '{{.IMAGE_NAME}}', 'foo', {}, 'foo'],
    ['env', '{{.FOO}}-{{.BAZ}}:latest', 'foo', { FOO: 'BAR', BAZ: 'BAT' }, 'BAR-BAT:latest'],
    ['opts precedence', '{{.IMAGE_NAME}}-{{.FROM_ENV}}:latest', 'image_name', { FROM_ENV: 'FOO', IMAGE_NAME: 'BAT' }, 'image_name-FOO:latest'],
    ['default for a missing variable', '{{default "dev" .CHANNEL}}', 'foo', {}, 'dev'],
  ])('%s', (_name, template, imageName, env, expected) => {
    expect(envTemplateTag({ template, imageName, env })).toBe(expected);
  });

  it.each([
    ['missing env', '{{.FOO}}:latest', 'foo'],
    ['ignore @{{.DIGEST}} suffix', '{{.IMAGE_NAME}}:tag@{{.DIGEST}}', 'foo'],
    ['ignore @{{.DIGEST_ALGO}}:{{.DIGEST_HEX}} suffix', '{{.IMAGE_NAME}}:tag@{{.DIGEST_ALGO}}:{{.DIGEST_HEX}}', 'image_name'],
    ['digest is deprecated', '{{.IMAGE_NAME}}:{{.DIGEST}}', 'foo'],
    ['digest algo is deprecated', '{{.IMAGE_NAME}}:{{.DIGEST_ALGO}}', 'foo'],
    ['digest hex is deprecated', '{{.IMAGE_NAME}}:{{.DIGEST_HEX}}', 'foo'],
  ])('%s is an error', (_name, template, imageName) => {
    expect(() => envTemplateTag({ template, imageName, env: {} })).toThrow(GitopsError);
  });

  it('names the missing variables', () => {
    expect(() => envTemplateTag({ template: '{{.FOO}}-{{.BAR}}', imageName: 'x', env: { BAR: 'b' } })).toThrow(
      /Environment variables missing .*: FOO\./,
    );
  });

  it('refuses an invalid template (TestNewEnvTemplateTagger)', () => {
    expect(() => envTemplateTag({ template: '{{.FOO', imageName: 'x', env: {} })).toThrow(/envTemplate/);
  });
});

describe('sha256Tag (skaffold sha256_test.go)', () => {
  it.each([
    ['img:tag', ''],
    ['img', 'latest'],
    ['registry.example.com:8080/img:tag', ''],
    ['registry.example.com:8080/img', 'latest'],
    ['registry.example.com/img', 'latest'],
  ])('%s -> %p', (imageName, expected) => {
    expect(sha256Tag(imageName)).toBe(expected);
  });

  it('refuses an invalid image name', () => {
    expect(() => sha256Tag('registry.example.com:8080:garbage')).toThrow(GitopsError);
  });
});

describe('tagImage', () => {
  it.each([
    ['test', 'latest', 'test:latest'],
    ['test:tag', '', 'test:tag'],
    ['gcr.io/project/app', 'v1.2.3', 'gcr.io/project/app:v1.2.3'],
    ['localhost:5000/app', 'abc_DEF-1.0', 'localhost:5000/app:abc_DEF-1.0'],
  ])('%s + %p -> %s', (imageName, tag, expected) => {
    expect(tagImage(imageName, tag)).toBe(expected);
  });

  it.each([
    ['a tag with a colon', 'test', 'bar:bar'],
    ['an image name with two tags', 'test:bar:bar', ''],
    ['a tag starting with a dot', 'test', '.v1'],
    ['a tag longer than 128 characters', 'test', 'x'.repeat(129)],
  ])('refuses %s', (_name, imageName, tag) => {
    expect(() => tagImage(imageName, tag)).toThrow(GitopsError);
  });
});
