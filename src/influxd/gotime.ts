/**
 * Go `time.Time` as encoding/json writes and reads it: RFC 3339 with up to
 * nine fractional digits (`2006-01-02T15:04:05.999999999Z07:00`).
 *
 * A time is kept as nanoseconds since the Unix epoch plus the UTC offset of
 * the zone it was written in, because influxd writes authorizations in the
 * local zone of the writing process and everything else in UTC, and the
 * offset is part of the stored bytes.
 */
import {SchemaError} from './errors.js'

export interface GoTime {
  /** nanoseconds since 1970-01-01T00:00:00Z */
  epochNs: bigint
  /** the zone offset east of UTC, in minutes (0 is written as `Z`) */
  offsetMinutes: number
}

/** Go's zero time.Time as JSON writes it. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

const NS_PER_SEC = 1_000_000_000n
const SEC_PER_DAY = 86_400n

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The proleptic Gregorian date of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): {year: number; month: number; day: number} {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return {year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day}
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/**
 * Formats like Go's `Time.MarshalJSON` (without the quotes): RFC 3339 with
 * nanoseconds, trailing zeros of the fraction trimmed, no fraction when it is
 * zero, `Z` for a zero offset and `±hh:mm` otherwise. Like Go, refuses years
 * outside 0..9999 and offsets of 24 hours or more.
 */
export function formatGoTime(epochNs: bigint, offsetMinutes: number): string {
  if (!Number.isInteger(offsetMinutes)) throw new RangeError(`time zone offset must be whole minutes, got ${offsetMinutes}`)
  if (Math.abs(offsetMinutes) >= 24 * 60) throw new SchemaError('Time.MarshalJSON: timezone hour outside of range [0,23]')
  const local = epochNs + BigInt(offsetMinutes) * 60n * NS_PER_SEC
  const secs = floorDiv(local, NS_PER_SEC)
  const nsec = Number(local - secs * NS_PER_SEC)
  const days = floorDiv(secs, SEC_PER_DAY)
  const sod = Number(secs - days * SEC_PER_DAY)
  const {year, month, day} = civilFromDays(Number(days))
  if (year < 0 || year > 9999) throw new SchemaError('Time.MarshalJSON: year outside of range [0,9999]')
  let s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(sod / 3600), 2)}:${pad(Math.floor(sod / 60) % 60, 2)}:${pad(sod % 60, 2)}`
  if (nsec !== 0) s += '.' + pad(nsec, 9).replace(/0+$/, '')
  if (offsetMinutes === 0) return s + 'Z'
  const abs = Math.abs(offsetMinutes)
  return `${s}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`
}

/** formatGoTime of a GoTime. */
export function formatGoTimeValue(t: GoTime): string {
  return formatGoTime(t.epochNs, t.offsetMinutes)
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39
}

/**
 * Parses the text of a JSON time string (the bytes between the quotes, not
 * unescaped: Go's Time.UnmarshalJSON does not unescape either) the way Go's
 * RFC 3339 parser does: `YYYY-MM-DDThh:mm:ss`, an optional `.` fraction of
 * any length (digits past the ninth are dropped), then `Z` or `±hh:mm`, with
 * every field range-checked (day against the month, zone hour ≤ 23).
 * Throws a SchemaError when the text is not such a time.
 */
export function parseGoTime(s: string): GoTime {
  const fail = (): never => {
    throw new SchemaError(`parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`)
  }
  let ok = true
  const num = (from: number, to: number, min: number, max: number): number => {
    let x = 0
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i)
      if (!isDigit(c)) {
        ok = false
        return min
      }
      x = x * 10 + (c - 0x30)
    }
    if (x < min || x > max) {
      ok = false
      return min
    }
    return x
  }
  if (s.length < 19) fail()
  const year = num(0, 4, 0, 9999)
  const month = num(5, 7, 1, 12)
  const day = num(8, 10, 1, daysIn(month, year))
  const hour = num(11, 13, 0, 23)
  const minute = num(14, 16, 0, 59)
  const second = num(17, 19, 0, 59)
  if (!ok || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') fail()
  let rest = 19
  let nsec = 0
  if (s.length - rest >= 2 && s[rest] === '.' && isDigit(s.charCodeAt(rest + 1))) {
    let n = rest + 1
    while (n < s.length && isDigit(s.charCodeAt(n))) n++
    const digits = s.slice(rest + 1, n).slice(0, 9)
    nsec = Number(digits.padEnd(9, '0'))
    rest = n
  }
  let offsetMinutes = 0
  const zone = s.slice(rest)
  if (zone !== 'Z') {
    if (zone.length !== 6) fail()
    const zh = num(rest + 1, rest + 3, 0, 23)
    const zm = num(rest + 4, rest + 6, 0, 59)
    if (!ok || (zone[0] !== '+' && zone[0] !== '-') || zone[3] !== ':') fail()
    offsetMinutes = (zh * 60 + zm) * (zone[0] === '-' ? -1 : 1)
  }
  const days = BigInt(daysFromCivil(year, month, day))
  const localSecs = days * SEC_PER_DAY + BigInt(hour * 3600 + minute * 60 + second)
  const epochNs = (localSecs - BigInt(offsetMinutes) * 60n) * NS_PER_SEC + BigInt(nsec)
  // -00:00 is a zero offset
  return {epochNs, offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes}
}

/** The two decimal digits of s at i, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30, b = s.charCodeAt(i + 1) - 0x30
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * formatGoTimeValue(parseGoTime(s)): the time as Go writes it back. Text
 * already in that form (every field in range, a fraction of 1–9 digits
 * without trailing zeros, `Z` or a non-zero `±hh:mm` zone) is returned as it
 * is, without the arithmetic: formatting its parse gives the same fields back.
 * Anything else is parsed and formatted (and refused as parseGoTime refuses it).
 */
export function canonicalGoTime(s: string): string {
  const n = s.length
  if (n >= 20 && s.charCodeAt(4) === 0x2d && s.charCodeAt(7) === 0x2d && s.charCodeAt(10) === 0x54 && s.charCodeAt(13) === 0x3a && s.charCodeAt(16) === 0x3a) {
    const hi = two(s, 0), lo = two(s, 2), month = two(s, 5), day = two(s, 8)
    const year = hi * 100 + lo
    if (hi >= 0 && lo >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year)) {
      const hour = two(s, 11), minute = two(s, 14), second = two(s, 17)
      if (hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
        let i = 19
        let fractionOk = true
        if (s.charCodeAt(i) === 0x2e) {
          let j = i + 1
          while (j < n && isDigit(s.charCodeAt(j))) j++
          fractionOk = j > i + 1 && j - i - 1 <= 9 && s.charCodeAt(j - 1) !== 0x30
          i = j
        }
        if (fractionOk) {
          if (i === n - 1 && s.charCodeAt(i) === 0x5a) return s
          const sign = s.charCodeAt(i)
          if (i === n - 6 && (sign === 0x2b || sign === 0x2d) && s.charCodeAt(i + 3) === 0x3a) {
            const zh = two(s, i + 1), zm = two(s, i + 4)
            if (zh >= 0 && zh <= 23 && zm >= 0 && zm <= 59 && zh + zm > 0) return s
          }
        }
      }
    }
  }
  return formatGoTimeValue(parseGoTime(s))
}

/** True when parseGoTime accepts the text. */
export function isGoTime(s: string): boolean {
  try {
    parseGoTime(s)
    return true
  } catch {
    return false
  }
}

/** The UTC offset in minutes of the process's local zone at `date` (east positive). */
export function localOffsetMinutes(date: Date = new Date()): number {
  const off = -Math.round(date.getTimezoneOffset())
  return off === 0 ? 0 : off
}

/** Nanoseconds since the Unix epoch, with sub-millisecond precision where the platform offers it. */
export function nowEpochNs(): bigint {
  const ms = performance.timeOrigin + performance.now()
  const micros = Math.floor(ms * 1000)
  return BigInt(micros) * 1000n
}

/**
 * The current time as influxd would stamp it: `utc` for tenant objects
 * (users, orgs, buckets) and migrations, local zone for authorizations.
 */
export function goTimeNow(utc: boolean): GoTime {
  const epochNs = nowEpochNs()
  const offsetMinutes = utc ? 0 : localOffsetMinutes(new Date(Number(epochNs / 1_000_000n)))
  return {epochNs, offsetMinutes}
}

/** goTimeNow, formatted. */
export function goTimeNowString(utc: boolean): string {
  return formatGoTimeValue(goTimeNow(utc))
}

/** A JS Date (millisecond precision) as a GoTime in the given zone offset (default UTC). */
export function goTimeFromDate(date: Date, offsetMinutes = 0): GoTime {
  return {epochNs: BigInt(date.getTime()) * 1_000_000n, offsetMinutes}
}

/** The instant of a GoTime as a JS Date (truncated to milliseconds). */
export function goTimeToDate(t: GoTime): Date {
  return new Date(Number(floorDiv(t.epochNs, 1_000_000n)))
}
