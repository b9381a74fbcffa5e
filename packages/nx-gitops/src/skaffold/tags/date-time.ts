import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import type { DateTimeTagger } from '../types';

/** skaffold's default dateTime layout. */
export const DEFAULT_DATE_TIME_FORMAT = '2006-01-02_15-04-05.999_MST';

const longMonths = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const longDays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A resolved time zone: its name for Intl and, when known, the tzdata file that names its abbreviations. */
interface Zone {
  name: string;
  utc: boolean;
}

/** The wall clock of an instant in a zone, as Go's `Time.In(loc)` sees it. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: number;
  yearDay: number;
  /** Seconds east of UTC. */
  offset: number;
  /** Zone abbreviation (`CET`, `PST`, `+04`, `UTC`). */
  abbreviation: string;
}

function resolveZone(timezone: string | undefined, env: Readonly<Record<string, string | undefined>>): Zone {
  const requested = timezone || 'Local';
  if (requested === 'UTC') return { name: 'UTC', utc: true };
  if (requested === 'Local') {
    // Go reads TZ: unset means the system zone, empty means UTC.
    const tz = env.TZ;
    if (tz === '') return { name: 'UTC', utc: true };
    const name = tz ? tz.replace(/^:/, '') : new Intl.DateTimeFormat('en-US').resolvedOptions().timeZone;
    if (!isValidZone(name)) return { name: 'UTC', utc: true };
    return { name, utc: name === 'UTC' || name === 'Etc/UTC' };
  }
  if (!isValidZone(requested)) {
    throw new GitopsError(`bad timezone provided: ${JSON.stringify(requested)}: unknown time zone ${requested}.`, {
      hint: 'Set build.tagPolicy.dateTime.timezone in skaffold.yaml to an IANA name such as "Europe/Berlin", or to "UTC" or "Local".',
    });
  }
  return { name: requested, utc: false };
}

function isValidZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function wallClock(instant: Date, zone: Zone): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone.utc ? 'UTC' : zone.name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  const year = era === 'BC' ? 1 - part('year') : part('year');
  const [month, day, hour, minute, second] = [part('month'), part('day'), part('hour'), part('minute'), part('second')];
  const millisecond = ((instant.getTime() % 1000) + 1000) % 1000;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  const offset = Math.round((asUtc - instant.getTime()) / 1000);
  const wall = new Date(asUtc);
  const yearDay = Math.floor((asUtc - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    millisecond,
    weekday: wall.getUTCDay(),
    yearDay,
    offset,
    abbreviation: zone.utc ? 'UTC' : zoneAbbreviation(zone.name, instant, offset),
  };
}

/** Like tzdata for zones without a letter abbreviation: `+04`, `+0530`, `-03`. */
function numericAbbreviation(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = minutes % 60;
  return mm ? `${sign}${hh}${String(mm).padStart(2, '0')}` : `${sign}${hh}`;
}

/**
 * The abbreviation Go prints for `MST`: Go reads it from the tzdata file, so we do too; Intl only knows
 * abbreviations for some locales ("CET" appears in en-GB, "PST" in en-US), so it is the fallback.
 */
function zoneAbbreviation(name: string, instant: Date, offset: number): string {
  const fromTzdata = tzdataAbbreviation(name, Math.floor(instant.getTime() / 1000), offset);
  if (fromTzdata) return fromTzdata;
  for (const locale of ['en-US', 'en-GB']) {
    const short = new Intl.DateTimeFormat(locale, { timeZone: name, timeZoneName: 'short' })
      .formatToParts(instant)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (short && /^[A-Z]{3,5}$/.test(short) && short !== 'GMT') return short;
  }
  return offset === 0 ? 'GMT' : numericAbbreviation(offset);
}

const tzdataCache = new Map<string, Tzif | null>();

interface Tzif {
  transitions: number[];
  transitionTypes: number[];
  types: Array<{ offset: number; isDst: boolean; abbreviation: string }>;
  footerNames: string[];
}

function tzdataAbbreviation(name: string, seconds: number, offset: number): string | undefined {
  if (!tzdataCache.has(name)) tzdataCache.set(name, readTzif(name));
  const data = tzdataCache.get(name);
  if (!data || data.types.length === 0) return undefined;
  const { transitions, transitionTypes, types } = data;
  const afterLast = transitions.length === 0 || seconds >= transitions[transitions.length - 1];
  if (afterLast && transitions.length > 0) {
    // Past the last transition Go applies the footer rule; the offset Intl computed tells which of its names applies.
    const last = types[transitionTypes[transitionTypes.length - 1]];
    if (last && last.offset === offset) return last.abbreviation;
    const matching = types.filter((type) => type.offset === offset);
    const named = matching.find((type) => data.footerNames.includes(type.abbreviation)) ?? matching[matching.length - 1];
    return named?.abbreviation;
  }
  if (transitions.length === 0 || seconds < transitions[0]) return (types.find((type) => !type.isDst) ?? types[0]).abbreviation;
  let low = 0;
  let high = transitions.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (transitions[mid] <= seconds) low = mid;
    else high = mid - 1;
  }
  return types[transitionTypes[low]]?.abbreviation;
}

function readTzif(name: string): Tzif | null {
  if (name.includes('..')) return null;
  const roots = [process.env.ZONEINFO, '/usr/share/zoneinfo', '/usr/share/lib/zoneinfo', '/usr/lib/locale/TZ'].filter(
    (root): root is string => Boolean(root),
  );
  for (const root of roots) {
    const file = path.join(root, name);
    let buffer: Buffer;
    try {
      buffer = fs.readFileSync(file);
    } catch {
      continue;
    }
    return parseTzif(buffer);
  }
  return null;
}

function parseTzif(buffer: Buffer): Tzif | null {
  if (buffer.toString('latin1', 0, 4) !== 'TZif') return null;
  const version = buffer[4];
  const header = (at: number) => ({
    isutcnt: buffer.readUInt32BE(at + 20),
    isstdcnt: buffer.readUInt32BE(at + 24),
    leapcnt: buffer.readUInt32BE(at + 28),
    timecnt: buffer.readUInt32BE(at + 32),
    typecnt: buffer.readUInt32BE(at + 36),
    charcnt: buffer.readUInt32BE(at + 40),
  });
  let at = 0;
  let counts = header(0);
  let timeSize = 4;
  const blockSize = (c: typeof counts, size: number) =>
    c.timecnt * size + c.timecnt + c.typecnt * 6 + c.charcnt + c.leapcnt * (size + 4) + c.isstdcnt + c.isutcnt;
  if (version >= 0x32) {
    at = 44 + blockSize(counts, 4);
    counts = header(at);
    timeSize = 8;
  }
  let cursor = at + 44;
  const transitions: number[] = [];
  for (let i = 0; i < counts.timecnt; i++, cursor += timeSize) {
    transitions.push(timeSize === 8 ? Number(buffer.readBigInt64BE(cursor)) : buffer.readInt32BE(cursor));
  }
  const transitionTypes = [...buffer.subarray(cursor, cursor + counts.timecnt)];
  cursor += counts.timecnt;
  const rawTypes: Array<{ offset: number; isDst: boolean; index: number }> = [];
  for (let i = 0; i < counts.typecnt; i++, cursor += 6) {
    rawTypes.push({ offset: buffer.readInt32BE(cursor), isDst: buffer[cursor + 4] === 1, index: buffer[cursor + 5] });
  }
  const chars = buffer.toString('latin1', cursor, cursor + counts.charcnt);
  const types = rawTypes.map((type) => ({
    offset: type.offset,
    isDst: type.isDst,
    abbreviation: chars.slice(type.index, chars.indexOf('\0', type.index)),
  }));
  const footerNames: string[] = [];
  if (timeSize === 8) {
    const footer = buffer.toString('latin1', at + 44 + blockSize(counts, 8)).split('\n')[1] ?? '';
    for (const match of footer.matchAll(/<([^>]*)>|([A-Za-z]{3,})/g)) footerNames.push(match[1] ?? match[2]);
  }
  return { transitions, transitionTypes, types, footerNames: footerNames.slice(0, 2) };
}

function pad(value: number, width: number): string {
  const text = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${text}` : text;
}

/** Splits a Go layout into literal text and std chunks, following Go's `nextStdChunk`. */
function nextStdChunk(layout: string): { prefix: string; std: string; suffix: string } {
  const startsWithLower = (s: string) => s.length > 0 && s[0] >= 'a' && s[0] <= 'z';
  for (let i = 0; i < layout.length; i++) {
    const rest = layout.slice(i);
    const chunk = (std: string, length = std.length) => ({ prefix: layout.slice(0, i), std, suffix: layout.slice(i + length) });
    switch (layout[i]) {
      case 'J':
        if (rest.startsWith('January')) return chunk('January');
        if (rest.startsWith('Jan') && !startsWithLower(rest.slice(3))) return chunk('Jan');
        break;
      case 'M':
        if (rest.startsWith('Monday')) return chunk('Monday');
        if (rest.startsWith('Mon') && !startsWithLower(rest.slice(3))) return chunk('Mon');
        if (rest.startsWith('MST')) return chunk('MST');
        break;
      case '0':
        if (rest.length >= 2 && rest[1] >= '1' && rest[1] <= '6') return chunk(rest.slice(0, 2));
        if (rest.startsWith('002')) return chunk('002');
        break;
      case '1':
        return rest.startsWith('15') ? chunk('15') : chunk('1');
      case '2':
        return rest.startsWith('2006') ? chunk('2006') : chunk('2');
      case '_':
        if (rest[1] === '2') {
          if (rest.startsWith('_2006')) return { prefix: layout.slice(0, i + 1), std: '2006', suffix: layout.slice(i + 5) };
          return chunk('_2');
        }
        if (rest.startsWith('__2')) return chunk('__2');
        break;
      case '3':
      case '4':
      case '5':
        return chunk(layout[i]);
      case 'P':
        if (rest[1] === 'M') return chunk('PM');
        break;
      case 'p':
        if (rest[1] === 'm') return chunk('pm');
        break;
      case '-':
        for (const std of ['-070000', '-07:00:00', '-0700', '-07:00', '-07']) if (rest.startsWith(std)) return chunk(std);
        break;
      case 'Z':
        for (const std of ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07']) if (rest.startsWith(std)) return chunk(std);
        break;
      case '.':
      case ',': {
        const digit = rest[1];
        if (digit === '0' || digit === '9') {
          let j = 1;
          while (j < rest.length && rest[j] === digit) j++;
          // Only a run of digits that ends here is a fractional second.
          if (!(rest[j] >= '0' && rest[j] <= '9')) return chunk(rest.slice(0, j));
        }
        break;
      }
    }
  }
  return { prefix: layout, std: '', suffix: '' };
}

function formatStd(std: string, t: WallClock): string {
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  switch (std) {
    case '2006':
      return pad(t.year, 4);
    case '06':
      return pad(Math.abs(t.year) % 100, 2);
    case 'January':
      return longMonths[t.month - 1];
    case 'Jan':
      return longMonths[t.month - 1].slice(0, 3);
    case '1':
      return String(t.month);
    case '01':
      return pad(t.month, 2);
    case 'Monday':
      return longDays[t.weekday];
    case 'Mon':
      return longDays[t.weekday].slice(0, 3);
    case '2':
      return String(t.day);
    case '_2':
      return String(t.day).padStart(2, ' ');
    case '02':
      return pad(t.day, 2);
    case '__2':
      return String(t.yearDay).padStart(3, ' ');
    case '002':
      return pad(t.yearDay, 3);
    case '15':
      return pad(t.hour, 2);
    case '3':
      return String(hour12);
    case '03':
      return pad(hour12, 2);
    case '4':
      return String(t.minute);
    case '04':
      return pad(t.minute, 2);
    case '5':
      return String(t.second);
    case '05':
      return pad(t.second, 2);
    case 'PM':
      return t.hour >= 12 ? 'PM' : 'AM';
    case 'pm':
      return t.hour >= 12 ? 'pm' : 'am';
    case 'MST':
      return t.abbreviation || formatOffset('-0700', t.offset);
  }
  if (/^[Z-]0/.test(std)) return formatOffset(std, t.offset);
  return formatFraction(std, t.millisecond);
}

function formatOffset(std: string, offset: number): string {
  if (offset === 0 && std.startsWith('Z')) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const minutes = Math.floor(abs / 60);
  const colon = std.includes(':') ? ':' : '';
  let out = `${sign}${pad(Math.floor(minutes / 60), 2)}`;
  const body = std.slice(1);
  if (body !== '07') out += colon + pad(minutes % 60, 2);
  if (body === '070000' || body === '07:00:00') out += colon + pad(abs % 60, 2);
  return out;
}

function formatFraction(std: string, millisecond: number): string {
  const separator = std[0];
  const digits = std.length - 1;
  // Go has nanoseconds; a JavaScript clock has milliseconds, so the finer digits are zero.
  let fraction = (String(millisecond).padStart(3, '0') + '000000').slice(0, 9).slice(0, Math.min(digits, 9));
  if (std[1] === '9') {
    fraction = fraction.replace(/0+$/, '');
    if (!fraction) return '';
  }
  return separator + fraction;
}

/** Formats `instant` with a Go time layout in `timezone` (IANA name, `UTC`, or `Local` = env `TZ` / the system zone). */
export function formatGoTime({
  instant,
  layout,
  timezone,
  env = process.env,
}: {
  instant: Date;
  layout: string;
  timezone?: string;
  env?: Readonly<Record<string, string | undefined>>;
}): string {
  const clock = wallClock(instant, resolveZone(timezone, env));
  let out = '';
  let rest = layout;
  while (rest) {
    const { prefix, std, suffix } = nextStdChunk(rest);
    out += prefix;
    if (!std) break;
    out += formatStd(std, clock);
    rest = suffix;
  }
  return out;
}

/** Inputs of {@link dateTimeTag}. */
export interface DateTimeTagInput {
  tagger: DateTimeTagger;
  /** The clock; injectable so tests and batch renders can pin it. */
  now: () => Date;
  /** Environment read for `Local` (its `TZ`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The dateTime tag: `now()` in the configured zone, in the configured Go layout (default {@link DEFAULT_DATE_TIME_FORMAT}). */
export function dateTimeTag({ tagger, now, env }: DateTimeTagInput): string {
  return formatGoTime({ instant: now(), layout: tagger.format || DEFAULT_DATE_TIME_FORMAT, timezone: tagger.timezone, env });
}
