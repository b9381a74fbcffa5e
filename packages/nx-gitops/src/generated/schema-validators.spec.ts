import { readFileSync } from 'node:fs';
import { VALIDATORS_FILE, validatorsSource } from '../../../../scripts/generate-validators';

describe('the validators compiled at build time', () => {
  it('are what the schemas compile to today (run `npm run generate` after changing a schema)', () => {
    expect(readFileSync(VALIDATORS_FILE, 'utf8')).toBe(validatorsSource());
  });
});
