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

  // Go's text/template built-ins and printing (pkg.go.dev/text/template "Functions", fmt's %v); outputs checked with Go 1.26.
  it.each([
    ['if true', '{{if .A}}yes{{end}}', { A: 'x' }, 'yes'],
    ['if on an empty string', '{{if .A}}yes{{else}}no{{end}}', { A: '' }, 'no'],
    ['if on a missing field', '{{if .MISSING}}yes{{else}}no{{end}}', {}, 'no'],
    ['else if chain', '{{if eq .A "a"}}A{{else if eq .A "b"}}B{{else}}C{{end}}', { A: 'b' }, 'B'],
    ['else if falling through', '{{if eq .A "a"}}A{{else if eq .A "b"}}B{{else}}C{{end}}', { A: 'z' }, 'C'],
    ['nested if', '{{if .A}}{{if .B}}ab{{else}}a{{end}}{{end}}', { A: '1', B: '' }, 'a'],
    ['trim markers around if/else', '{{if eq .X "a" -}} A {{- else if eq .X "b" -}} B {{- else -}} C {{- end}}', { X: 'b' }, 'B'],
    ['a boolean prints as Go prints it', '{{eq .A "x"}}-{{ne .A "x"}}', { A: 'x' }, 'true-false'],
    ['boolean literals', '{{true}} {{not false}}', {}, 'true true'],
    ['eq with several arguments', '{{eq .A "x" "y" "z"}}', { A: 'z' }, 'true'],
    ['eq of a missing field and a string', '{{eq .MISSING "a"}}', {}, 'false'],
    ['eq of ints', '{{eq (len .A) 3}}', { A: 'abc' }, 'true'],
    ['not', '{{not .A}}{{not ""}}{{not 0}}{{not (list)}}', { A: 'x' }, 'falsetruetruetrue'],
    ['and returns the first empty argument or the last', '{{and "a" "b"}}|{{and "" "b"}}|{{and .MISSING "x"}}', {}, 'b||<no value>'],
    ['or returns the first non-empty argument or the last', '{{or "" .A}}|{{or "" 0}}|{{or .MISSING "x"}}', { A: 'a' }, 'a|0|x'],
    ['and stops at the first empty argument', '{{and "" (first "not a list")}}', {}, ''],
    ['len counts bytes of a string', '{{len "héllo"}}|{{len .E}}', { E: '' }, '6|0'],
    ['len of lists and maps', '{{len (list 1 2)}}|{{len (split "-" "a-b-c")}}', {}, '2|3'],
    ['a list prints as Go prints it', '{{list 1 "a" .MISSING true}}', {}, '[1 a <nil> true]'],
    ['nested lists and maps', '{{list (list 1 2) (split "-" "a-b")}}', {}, '[[1 2] map[_0:a _1:b]]'],
    ['a function named as an argument is called', '{{len list}}', {}, '0'],
    ['a parenthesised pipeline', '{{upper (.A | trimPrefix "v")}}', { A: 'v1.2-rc' }, '1.2-RC'],
  ])('%s', (_name, source, data, expected) => {
    expect(render(source, data as Record<string, string>)).toBe(expected);
  });

  it.each([
    ['a string and an int', '{{eq "1" 1}}', /error calling eq: incompatible types for comparison: string and int/],
    ['a bool and a string', '{{eq true "true"}}', /incompatible types for comparison: bool and string/],
    ['lists', '{{eq (list) (list)}}', /error calling eq: non-comparable type \[\]: \[\]interface \{\}/],
    ['one argument', '{{eq "a"}}', /error calling eq: missing argument for comparison/],
    ['len of an int', '{{len 3}}', /error calling len: len of type int/],
    ['a missing field where a string goes', '{{upper .MISSING}}', /at <\.MISSING>: invalid value; expected string/],
    ['a bool where a string goes', '{{upper (eq .A "x")}}', /wrong type for value; expected string; got bool/],
    ['a list where a string goes', '{{hasPrefix (list) "a"}}', /wrong type for value; expected string; got \[\]interface \{\}/],
    ['a field of a string', '{{("a")._0}}', /can't evaluate field _0 in type string/],
  ])('fails at execution on %s, naming the template', (_name, source, message) => {
    let error: unknown;
    try {
      render(source, { A: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toContain('Template test');
    expect((error as GitopsError).message).toMatch(message);
  });

  it('throws on a missing key with missingkey=error, naming the key', () => {
    expect(() => render('foo-{{.BAR}}', { FOO: 'x' }, 'error')).toThrow(/map has no entry for key "BAR"/);
  });

  it.each([
    ['unclosed action', '{{.FOO', /unclosed action/],
    ['else with', '{{if .FOO}}x{{else with .BAR}}y{{end}}', /"\{\{else with \.BAR\}\}" is not supported/],
    ['if without a pipeline', '{{if}}x{{end}}', /missing value for if/],
    ['if without end', 'a{{if .FOO}}x', /\{\{if \.FOO\}\} has no \{\{end\}\}/],
    ['end without if', 'x{{end}}', /unexpected \{\{end\}\}/],
    ['else after else', '{{if .A}}a{{else}}b{{else}}c{{end}}', /expected \{\{end\}\}; found \{\{else\}\}/],
    ['nil', '{{upper nil}}', /"\{\{nil …\}\}" is not supported/],
    ['unclosed paren', '{{upper (lower .A}}', /unclosed left paren/],
    ['not arity', '{{not .A .B}}', /wrong number of arguments for not: want 1 got 2/],
    ['ne arity', '{{ne "a" "b" "c"}}', /wrong number of arguments for ne: want 2 got 3/],
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
    ['{{if eq .A "x"}}{{.B}}{{else if .C}}{{upper .D}}{{else}}{{join "-" (list .E (split "/" .F)._0)}}{{end}}', ['A', 'B', 'C', 'D', 'E', 'F']],
    ['{{if .A}}{{if not .B}}x{{end}}{{end}}{{ternary .C "n" (hasPrefix "v" .D) | trunc 3}}', ['A', 'B', 'C', 'D']],
    ['plain', []],
  ])('%s reads %j', (source, expected) => {
    expect(templateFields(parseGoTemplate('t', source))).toEqual(expected);
  });
});
