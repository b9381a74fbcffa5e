import { GitopsError } from '../lib/errors';
import { executeGoTemplate, parseGoTemplate, templateFields } from './go-template';

function render(source: string, data: Record<string, string>, missingKey: 'invalid' | 'error' = 'invalid'): string {
  return executeGoTemplate(parseGoTemplate('test', source), data, { missingKey });
}

describe('parseGoTemplate + executeGoTemplate', () => {
  // Cases carried over from skaffold's util/env_template_test.go and tag/custom_template_test.go.
  it.each([
    ['empty template', '', {}, ''],
    ['only text', 'foo-bar', {}, 'foo-bar'],
    ['custom only', '{{.FOO}}:{{.BAR}}', { FOO: 'foo', BAR: 'bar' }, 'foo:bar'],
    ['env only', '{{.FOO}}-{{.BAZ}}:latest', { FOO: 'BAR', BAZ: 'BAT' }, 'BAR-BAT:latest'],
    ['missing results in <no value>', '{{default "a" .FOO}}:{{.BAR}}', {}, 'a:<no value>'],
    ['component has value with len 0', 'foo-{{.BAR}}', { BAR: '' }, 'foo-'],
    ['both text and components', 'foo-{{.BAR}}', { BAR: '2016-02-05' }, 'foo-2016-02-05'],
    ['spaces inside the action', 'v{{ .FOO }}', { FOO: '1' }, 'v1'],
    ['trim markers', 'a  {{- .FOO -}}  \n b', { FOO: 'x' }, 'axb'],
    ['left trim only', 'a \n{{- .FOO }} b', { FOO: 'x' }, 'ax b'],
    ['comment', 'a{{/* why */}}b', {}, 'ab'],
    ['default with a present value', '{{default "dev" .ENV}}', { ENV: 'prod' }, 'prod'],
    ['default with an empty value', '{{default "dev" .ENV}}', { ENV: '' }, 'dev'],
    ['default in a pipeline', '{{ .ENV | default "dev" }}', {}, 'dev'],
    ['lower and upper', '{{.A | lower}}-{{upper .B}}', { A: 'MiX', B: 'up' }, 'mix-UP'],
    ['trim', '{{trim .A}}', { A: '  x ' }, 'x'],
    ['string literal with braces', '{{"}}"}}', {}, '}}'],
  ])('%s', (_name, source, data, expected) => {
    expect(render(source, data as Record<string, string>)).toBe(expected);
  });

  it('throws on a missing key with missingkey=error, naming the key', () => {
    expect(() => render('foo-{{.BAR}}', { FOO: 'x' }, 'error')).toThrow(/map has no entry for key "BAR"/);
  });

  it.each([
    ['unclosed action', '{{.FOO', /unclosed action/],
    ['if', '{{if .FOO}}x{{end}}', /"\{\{if …\}\}" is not supported/],
    ['range', '{{range .FOO}}x{{end}}', /"\{\{range …\}\}" is not supported/],
    ['with and a variable', '{{with $x := nil}}tag{{end}}', /"\{\{with …\}\}" is not supported/],
    ['variable', '{{$x}}', /"\$x" is not supported/],
    ['the whole data map', '{{.}}', /"\." \(the whole data map\) is not supported/],
    ['cmd function', '{{cmd "git" "rev-parse" "HEAD"}}', /function "cmd" is not supported/],
    ['unknown function', '{{now}}', /function "now" is not supported/],
    ['nested field', '{{.A.B}}', /"\.A\.B" is not supported/],
    ['empty action', '{{}}', /missing value/],
    ['default arity', '{{default .A}}', /wrong number of arguments for default/],
  ])('refuses %s with a GitopsError naming the template', (_name, source, message) => {
    let error: unknown;
    try {
      parseGoTemplate('envTemplate', source);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toContain('envTemplate');
    expect((error as GitopsError).message).toMatch(message);
  });
});

describe('templateFields', () => {
  // skaffold's template_utils_test.go "variables" case; the others use constructs we refuse.
  it.each([
    ['{{.V1}}  {{.V1}}    {{.V2}}', ['V1', 'V2']],
    ['{{.GIT}}-{{.DATE}}-{{.SHA}}-{{.INPUT_DIGEST}}', ['GIT', 'DATE', 'SHA', 'INPUT_DIGEST']],
    ['{{ .A | default .B }}', ['A', 'B']],
    ['plain', []],
  ])('%s reads %j', (source, expected) => {
    expect(templateFields(parseGoTemplate('t', source))).toEqual(expected);
  });
});
