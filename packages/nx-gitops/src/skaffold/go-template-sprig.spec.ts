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
    // docs/strings.md, docs/string_slice.md, docs/defaults.md, docs/lists.md; strings_test.go, defaults_test.go, list_test.go.
    ['contains', '{{contains "cat" "catch"}}', 'true'],
    ['contains in if', '{{if contains "cat" "fair catch"}}1{{end}}', '1'],
    ['hasPrefix', '{{hasPrefix "cat" "catch"}}', 'true'],
    ['hasSuffix in if', '{{if hasSuffix "cat" "ducat"}}1{{end}}', '1'],
    ['hasSuffix false', '{{hasSuffix "cat" "catch"}}', 'false'],
    ['ternary true', '{{ternary "foo" "bar" true}}', 'foo'],
    ['ternary false', '{{ternary "foo" "bar" false}}', 'bar'],
    ['ternary piped', '{{true | ternary "foo" "bar"}}|{{false | ternary "foo" "bar"}}', 'foo|bar'],
    ['empty 1', '{{if empty 1}}1{{else}}0{{end}}', '0'],
    ['empty 0, "" and false', '{{if empty 0}}1{{else}}0{{end}}{{if empty ""}}1{{else}}0{{end}}{{if empty false}}1{{else}}0{{end}}', '111'],
    ['empty on a missing field', '{{if empty .NoSuchThing}}1{{else}}0{{end}}', '1'],
    ['list', '{{list 1 2 3 4 5}}', '[1 2 3 4 5]'],
    ['join', '{{list "hello" "world" | join "_"}}', 'hello_world'],
    ['join of ints', '{{list 1 2 3 | join "+"}}', '1+2+3'],
    ['join of a string', '{{join "-" "abc"}}', 'abc'],
    ['join drops nil items', '{{join "-" (list "1" .MISSING "2")}}', '1-2'],
    ['splitList', '{{splitList "$" "foo$bar$baz"}}', '[foo bar baz]'],
    ['split gives a map of _0, _1…', '{{split "$" "foo$bar$baz"}}', 'map[_0:foo _1:bar _2:baz]'],
    ['a field of split', '{{("foo$bar$baz" | split "$")._0}}', 'foo'],
    ['a missing field of split', '{{(split "$" "foo")._1}}', '<no value>'],
    ['first', '{{list 1 2 3 | first}}', '1'],
    ['first of an empty list', '{{list | first}}', '<no value>'],
    ['last', '{{list 1 2 3 | last}}', '3'],
    ['last of an empty list', '{{list | last}}', '<no value>'],
    ['last of splitList', '{{.BRANCH | splitList "/" | last}}', 'ABC-123'],
    ['quote of an int', '{{quote 5}}', '"5"'],
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
    ['first of a string', '{{first "abc"}}', /error calling first: Cannot find first on type string/],
    ['ternary on a string', '{{ternary "a" "b" "x"}}', /wrong type for value; expected bool; got string/],
    ['ternary on a missing field', '{{ternary "a" "b" .MISSING}}', /invalid value; expected bool/],
    ['an int where a string goes, from first', '{{first (list 1 2) | upper}}', /wrong type for value; expected string; got int/],
    ['contains with an int', '{{contains 1 "a"}}', /wrong type for value; expected string; got int/],
    ['expandenv', '{{expandenv "$HOME"}}', /function "expandenv" is not supported/],
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
