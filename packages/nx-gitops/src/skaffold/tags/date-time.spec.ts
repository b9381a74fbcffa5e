import { GitopsError } from '../../lib/errors';
import { dateTimeTag, formatGoTime } from './date-time';

/** 2015-03-07T11:06:39.123Z, skaffold's test instant (its nanoseconds cut to what a JavaScript clock holds). */
const instant = new Date(Date.UTC(2015, 2, 7, 11, 6, 39, 123));
/** Go's reference time, Mon Jan 2 15:04:05 MST 2006 (= -0700). */
const reference = new Date(Date.UTC(2006, 0, 2, 22, 4, 5, 0));

describe('dateTimeTag (skaffold date_time_test.go)', () => {
  it.each([
    ['default formatter in Local with TZ=UTC', {}, { TZ: 'UTC' }, instant, '2015-03-07_11-06-39.123_UTC'],
    ['default formatter in Local with TZ=Europe/Berlin', {}, { TZ: 'Europe/Berlin' }, instant, '2015-03-07_12-06-39.123_CET'],
    ['user provided timezone', { timezone: 'UTC' }, {}, new Date(1234 * 1000 + 123), '1970-01-01_00-20-34.123_UTC'],
    ['user provided format', { format: '2006-01-02', timezone: 'UTC' }, {}, instant, '2015-03-07'],
    ['.999 drops the dot when the fraction is zero', { timezone: 'UTC' }, {}, new Date(Date.UTC(2015, 2, 7, 11, 6, 39)), '2015-03-07_11-06-39_UTC'],
    ['.999 drops trailing zeros', { timezone: 'UTC' }, {}, new Date(Date.UTC(2015, 2, 7, 11, 6, 39, 120)), '2015-03-07_11-06-39.12_UTC'],
  ])('%s', (_name, tagger, env, now, expected) => {
    expect(dateTimeTag({ tagger, now: () => now, env })).toBe(expected);
  });

  it('refuses an unknown timezone', () => {
    expect(() => dateTimeTag({ tagger: { format: '2006-01-02', timezone: 'foo' }, now: () => instant })).toThrow(GitopsError);
    expect(() => dateTimeTag({ tagger: { timezone: 'foo' }, now: () => instant })).toThrow(/bad timezone provided: "foo"/);
  });
});

describe('formatGoTime', () => {
  it.each([
    // Layouts of Go's time package constants, applied to Go's reference time in its own zone (-0700).
    ['ANSIC', 'Mon Jan _2 15:04:05 2006', 'America/Phoenix', 'Mon Jan  2 15:04:05 2006'],
    ['UnixDate', 'Mon Jan _2 15:04:05 MST 2006', 'America/Phoenix', 'Mon Jan  2 15:04:05 MST 2006'],
    ['RFC822Z', '02 Jan 06 15:04 -0700', 'America/Phoenix', '02 Jan 06 15:04 -0700'],
    ['RFC1123', 'Mon, 02 Jan 2006 15:04:05 MST', 'America/Phoenix', 'Mon, 02 Jan 2006 15:04:05 MST'],
    ['RFC3339', '2006-01-02T15:04:05Z07:00', 'America/Phoenix', '2006-01-02T15:04:05-07:00'],
    ['RFC3339 in UTC prints Z', '2006-01-02T15:04:05Z07:00', 'UTC', '2006-01-02T22:04:05Z'],
    ['Kitchen', '3:04PM', 'America/Phoenix', '3:04PM'],
    ['Stamp', 'Jan _2 15:04:05.000', 'America/Phoenix', 'Jan  2 15:04:05.000'],
    ['long names', 'Monday, January 2', 'America/Phoenix', 'Monday, January 2'],
    ['lower-case pm and 12h zero-padded', '03:04 pm', 'UTC', '10:04 pm'],
    ['seconds offsets', '-07:00:00 Z070000 -07', 'America/Phoenix', '-07:00:00 -070000 -07'],
    ['day of year', '002 __2', 'UTC', '002   2'],
    ['comma fraction', '05,000', 'UTC', '05,000'],
    ['_2006 is a literal underscore and the year', 'x_2006', 'UTC', 'x_2006'],
    ['Jan followed by lower case is literal', 'Janet', 'UTC', 'Janet'],
    ['half-hour zone', 'Z07:00 MST', 'Asia/Kolkata', '+05:30 IST'],
    ['zone without letters uses tzdata numeric name', 'MST', 'Asia/Dubai', '+04'],
    ['winter abbreviation from tzdata', 'MST', 'Europe/Berlin', 'CET'],
  ])('%s', (_name, layout, timezone, expected) => {
    expect(formatGoTime({ instant: reference, layout, timezone })).toBe(expected);
  });

  it('uses the summer abbreviation and offset in summer', () => {
    const summer = new Date(Date.UTC(2024, 6, 1, 12, 0, 0));
    expect(formatGoTime({ instant: summer, layout: '15:04 MST -0700', timezone: 'Europe/Berlin' })).toBe('14:00 CEST +0200');
    expect(formatGoTime({ instant: summer, layout: '15:04 MST', timezone: 'America/Los_Angeles' })).toBe('05:00 PDT');
  });

  it('treats an empty TZ as UTC, as Go does', () => {
    expect(formatGoTime({ instant, layout: 'MST', env: { TZ: '' } })).toBe('UTC');
  });
});
