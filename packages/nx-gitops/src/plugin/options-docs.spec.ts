/** The README's table of plugin options is the plugin's schema, option for option. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginOptionsSchema } from './normalize-options';
import { DEFAULT_PLUGIN_OPTIONS } from './options';

const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');

/** The rows of the first table after `## Plugin options`: option name → default column. */
function documentedOptions(): Map<string, string> {
  const section = readme.slice(readme.indexOf('## Plugin options'));
  const table = section.slice(section.indexOf('| option |')).split('\n\n')[0];
  const rows = table.split('\n').slice(2);
  return new Map(rows.map((row) => row.split('|').map((cell) => cell.trim())).map((cells) => [cells[1].replace(/`/g, ''), cells[2].replace(/`/g, '')]));
}

describe('README plugin options', () => {
  it('lists exactly the options the schema accepts', () => {
    expect([...documentedOptions().keys()].sort()).toEqual(Object.keys(pluginOptionsSchema.properties).sort());
  });

  it('gives the defaults the plugin applies', () => {
    const documented = documentedOptions();
    for (const [option, value] of Object.entries(DEFAULT_PLUGIN_OPTIONS)) expect(documented.get(option)).toBe(value);
  });
});
