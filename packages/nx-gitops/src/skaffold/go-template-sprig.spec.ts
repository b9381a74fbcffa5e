import { GitopsError } from '../lib/errors';
import { executeGoTemplate, parseGoTemplate } from './go-template';

function run(source: string, data: Record<string, string> = {}): string {
  return executeGoTemplate(parseGoTemplate('envTemplate', source), data, { missingKey: 'invalid' });
}

// Expected outputs from sprig's documentation (docs/strings.md) and tests (strings_test.go).
describe('sprig string functions in templates', () => {
  it.each([
    ['trimPrefix', '{{trimPrefix "-" "-hello"}}', 'hello'],
    ['trimSuffix', '{{trimSuffix "-" "hello-"}}', 'hello'],
    ['trimAll', '{{trimAll "$" "$5.00"}}', '5.00'],
    ['replace', '{{"I Am Henry VIII" | replace " " "-"}}', 'I-Am-Henry-VIII'],
    ['replace with an empty old string (Go inserts at every rune boundary)', '{{replace "" "-" "ab"}}', '-a-b-'],
    ['quote', '{{quote "hello"}}', '"hello"'],
    ['quote escapes as Go %q', '{{quote .V}}', '"a\\"b\\\\c\\n\\x01é"'],
    ['quote of several values', '{{quote "a" "b"}}', '"a" "b"'],
    ['squote', '{{squote "hello"}}', "'hello'"],
    ['title', '{{title "hello world"}}', 'Hello World'],
    ['title after punctuation', '{{title "foo-bar_baz qux.quux"}}', 'Foo-Bar_baz Qux.Quux'],
    ['substr', '{{substr 0 5 "hello world"}}', 'hello'],
    ['substr with a negative start', '{{substr -1 5 "hello world"}}', 'hello'],
    ['substr past the end', '{{substr 6 99 "hello world"}}', 'world'],
    ['trunc', '{{trunc 5 "hello world"}}', 'hello'],
    ['trunc from the end', '{{trunc -5 "hello world"}}', 'world'],
    ['trunc longer than the string', '{{trunc 50 "hello"}}', 'hello'],
    ['repeat', '{{repeat 3 "hello"}}', 'hellohellohello'],
    ['nospace', '{{nospace "hello w o r l d"}}', 'helloworld'],
    ['cat', '{{cat "hello" "beautiful" "world"}}', 'hello beautiful world'],
    ['coalesce', '{{coalesce .EMPTY .MISSING "Matt"}}', 'Matt'],
    ['coalesce with a value', '{{coalesce .EMPTY .NAME "Matt"}}', 'Ann'],
    ['required with a value', '{{required "A valid foo is required!" .NAME}}', 'Ann'],
    ['a pipeline of sprig functions', '{{.BRANCH | trimPrefix "refs/heads/" | replace "/" "-" | trunc 10 | lower}}', 'feature-ab'],
  ])('%s', (_name, source, expected) => {
    expect(run(source, { V: 'a"b\\c\n\u0001é', EMPTY: '', NAME: 'Ann', BRANCH: 'refs/heads/Feature/ABC-123' })).toBe(expected);
  });

  it('required fails with its message on an empty value', () => {
    expect(() => run('{{required "A valid foo is required!" .FOO}}', { FOO: '' })).toThrow(/A valid foo is required!/);
  });

  it.each([
    ['a string where a number goes', '{{trunc "5" "hello"}}', /wrong type for value; expected int; got string/],
    ['a number where a string goes', '{{upper 5}}', /wrong type for value; expected string; got int/],
    ['too few arguments', '{{replace "a" "b"}}', /wrong number of arguments for replace: want 3/],
    ['a negative repeat count', '{{repeat -1 "a"}}', /negative Repeat count/],
    ['substr with start after end', '{{substr 4 2 "hello"}}', /slice bounds out of range/],
    ['env, which reads variables the Nx inputs do not know', '{{env "HOME"}}', /function "env" is not supported/],
  ])('refuses %s', (_name, source, message) => {
    let error: unknown;
    try {
      run(source);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toMatch(message);
  });
});
