import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GENERATED_VALIDATORS, validatorSource } from '../../../../scripts/generate-validators';

describe('the validators compiled ahead of time', () => {
  it.each(GENERATED_VALIDATORS.map((validator) => [basename(validator.file), validator]))(
    '%s is what its schema compiles to today (run `npm run generate` after changing a schema)',
    (_, validator) => {
      expect(readFileSync(validator.file, 'utf8')).toBe(validatorSource(validator));
    },
  );
});
