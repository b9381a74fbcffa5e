/** Every generator option is documented in the README section of its generator, and nothing else is. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
const generators = JSON.parse(readFileSync(join(__dirname, '../../generators.json'), 'utf8')) as { generators: Record<string, { schema: string }> };

/** The `--option` names of the first `| option |` table in the README section `### … nx-gitops:<name>…`. */
function documentedOptions(name: string): string[] {
  const start = readme.search(new RegExp(`### [^\\n]*nx-gitops:${name}\\b`));
  if (start < 0) return [];
  const end = readme.slice(start + 1).search(/\n##/);
  const section = readme.slice(start, end < 0 ? undefined : start + 1 + end);
  const table = section.slice(section.indexOf('| option |')).split('\n\n')[0];
  return table
    .split('\n')
    .slice(2)
    .filter((row) => row.startsWith('|'))
    .flatMap((row) => [...row.split('|')[1].matchAll(/--([A-Za-z]+)/g)].map((match) => match[1]));
}

describe.each(Object.entries(generators.generators))('README section of generator %s', (name, entry) => {
  it('lists exactly the options of its schema.json (positional ones as <name>)', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../..', entry.schema), 'utf8')) as {
      properties: Record<string, { $default?: { $source?: string } }>;
    };
    const named = Object.entries(schema.properties)
      .filter(([, property]) => property.$default?.$source !== 'argv')
      .map(([option]) => option);
    expect(documentedOptions(name).sort()).toEqual(named.sort());
  });
});
