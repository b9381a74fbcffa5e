/** Every executor option is documented in the README section of its executor, and nothing else is. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
const executors = JSON.parse(readFileSync(join(__dirname, '../../executors.json'), 'utf8')) as { executors: Record<string, { schema: string }> };

/** The option names of the first `| option |` table in the README section `## Executor \`<name>\``. */
function documentedOptions(name: string): string[] {
  const start = readme.indexOf(`## Executor \`${name}\``);
  if (start < 0) return [];
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const table = section.slice(section.indexOf('| option |')).split('\n\n')[0];
  return table
    .split('\n')
    .slice(2)
    .filter((row) => row.startsWith('|'))
    .flatMap((row) => row.split('|')[1].split('/').map((cell) => cell.trim().replace(/`/g, '')));
}

describe.each(Object.entries(executors.executors))('README section of executor %s', (name, entry) => {
  it('lists exactly the options of its schema.json', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../..', entry.schema), 'utf8')) as { properties: Record<string, unknown> };
    expect(documentedOptions(name).sort()).toEqual(Object.keys(schema.properties).sort());
  });
});
