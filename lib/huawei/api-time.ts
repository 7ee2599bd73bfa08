const MS_PER_DAY = 86_400_000;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The number in `count` decimal digits at `at`, or -1 when any of them is not a digit. */
function digitsAt(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Parses a timestamp as the Huawei APIs send it: ISO 8601 date and time, `T`
 * or a space between them, seconds and fractions optional, zone `Z`, `±hh`,
 * `±hhmm` or `±hh:mm`, or no zone at all — read as UTC, the zone the APIs
 * answer in, so the result never depends on the machine's time zone.
 * Surrounding blanks are ignored.
 *
 * @returns epoch milliseconds (fractions below 1 ms truncated), or `undefined`
 *   for anything else: not a string, empty, a date without a time, an
 *   impossible date such as `2023-02-29`, a leap second.
 */
export function parseApiTime(s: string | null | undefined): number | undefined {
  if (typeof s !== 'string') return undefined;
  // A hand-written scanner: a sweep parses tens of thousands of these, and it
  // is several times faster than a regular expression or Date.parse.
  const t = s.trim();
  const sep = t.charCodeAt(10);
  if (t.length < 16 || t[4] !== '-' || t[7] !== '-' || t[13] !== ':') return undefined;
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return undefined;
  const year = digitsAt(t, 0, 4);
  const month = digitsAt(t, 5, 2);
  const day = digitsAt(t, 8, 2);
  const hour = digitsAt(t, 11, 2);
  const minute = digitsAt(t, 14, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  let at = 16;
  let second = 0;
  let millis = 0;
  if (t[at] === ':') {
    second = digitsAt(t, at + 1, 2);
    if (second < 0 || second > 59) return undefined;
    at += 3;
    if (t[at] === '.' || t[at] === ',') {
      const start = ++at;
      while (at < t.length && at - start < 9 && digitsAt(t, at, 1) >= 0) at++;
      if (at === start) return undefined;
      const kept = Math.min(at - start, 3);
      millis = digitsAt(t, start, kept) * 10 ** (3 - kept);
    }
  }
  let offsetMinutes = 0;
  const zone = t[at];
  if (zone === 'Z' || zone === 'z') {
    at += 1;
  } else if (zone === '+' || zone === '-') {
    const offHours = digitsAt(t, at + 1, 2);
    at += 3;
    let offMinutes = 0;
    if (at < t.length) {
      if (t[at] === ':') at++;
      offMinutes = digitsAt(t, at, 2);
      at += 2;
    }
    if (offHours < 0 || offHours > 23 || offMinutes < 0 || offMinutes > 59) return undefined;
    offsetMinutes = (zone === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  if (at !== t.length) return undefined;
  const time = ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1_000 + millis;
  return daysFromCivil(year, month, day) * MS_PER_DAY + time;
}
