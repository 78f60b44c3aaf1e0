/**
 * @module manifest/cron: the cron expressions Chaos Mesh's Schedule accepts (robfig/cron v3 with optional seconds
 * and descriptors), parsed into the sets of matching values. Pure: no clock, no I/O.
 *
 *   [CRON_TZ=<zone> | TZ=<zone>] ( @yearly | @annually | @monthly | @weekly | @daily | @midnight | @hourly
 *                                 | @every <Go duration>
 *                                 | [second] minute hour day-of-month month day-of-week )
 *   field := item ("," item)*     item := ("*" | "?" | value ["-" value]) ["/" step]
 */
import { MAX_DURATION_TEXT, parseDuration, parseDurationNs } from './duration.js'

/** A cron spec that fires on matching wall-clock fields. Day-of-month and day-of-week combine as cron does. */
export interface CronFields {
  kind: 'fields'
  second: number[]
  minute: number[]
  hour: number[]
  dayOfMonth: number[]
  month: number[]
  dayOfWeek: number[]
  /** Whether the day fields were written as `*` or `?` (then only the other day field restricts). */
  dayOfMonthAny: boolean
  dayOfWeekAny: boolean
  /** IANA zone from a CRON_TZ= or TZ= prefix; undefined means the controller's local zone. */
  timeZone?: string
}

/** `@every <duration>`: fires every `everyMs` (at least one second, in whole seconds, as robfig/cron rounds it). */
export interface CronEvery {
  kind: 'every'
  everyMs: number
  timeZone?: string
}

export type CronSchedule = CronFields | CronEvery

export type CronResult = { ok: true; schedule: CronSchedule } | { ok: false; error: string }

interface Bounds {
  min: number
  max: number
  names?: Record<string, number>
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

const FIELDS: readonly (readonly [name: string, bounds: Bounds])[] = [
  ['second', { min: 0, max: 59 }],
  ['minute', { min: 0, max: 59 }],
  ['hour', { min: 0, max: 23 }],
  ['day-of-month', { min: 1, max: 31 }],
  ['month', { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) }],
  ['day-of-week', { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) }],
]

/** Descriptors as the five/six fields they stand for. */
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
}

const EVERY = '@every '

class CronError extends Error {}

/**
 * Parses a Schedule's `schedule` field the way Chaos Mesh does; the error says what is wrong.
 *
 * @example parseCron('*\/5 * * * *')  // { ok: true, schedule: { kind: 'fields', minute: [0, 5, …], … } }
 * @example parseCron('@every 30s')   // { ok: true, schedule: { kind: 'every', everyMs: 30000 } }
 */
export function parseCron(text: string): CronResult {
  try {
    return { ok: true, schedule: parse(text) }
  } catch (e) {
    if (e instanceof CronError) return { ok: false, error: e.message }
    throw e
  }
}

function parse(text: string): CronSchedule {
  if (text.length === 0) throw new CronError('the schedule is empty')
  let spec = text
  let timeZone: string | undefined
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ')
    if (space < 0) throw new CronError(`${JSON.stringify(spec)} names a time zone but no schedule after it`)
    const zone = spec.slice(spec.indexOf('=') + 1, space)
    if (!isTimeZone(zone)) throw new CronError(`unknown time zone ${JSON.stringify(zone)}`)
    timeZone = zone === '' ? 'UTC' : zone
    spec = spec.slice(space).trim()
  }
  const zoned = <T extends CronSchedule>(s: T): T => (timeZone === undefined ? s : { ...s, timeZone })
  if (spec.startsWith('@')) {
    if (spec.startsWith(EVERY)) {
      const d = spec.slice(EVERY.length)
      const ms = parseDuration(d)
      if (ms === undefined) {
        if ('overflow' in parseDurationNs(d)) throw new CronError(`${JSON.stringify(d)} after @every is longer than the longest duration, ${MAX_DURATION_TEXT}`)
        throw new CronError(`${JSON.stringify(d)} after @every is not a duration like "30s" or "1h30m"`)
      }
      return zoned({ kind: 'every', everyMs: ms < 1000 ? 1000 : ms - (ms % 1000) })
    }
    const fields = DESCRIPTORS[spec]
    if (fields === undefined) throw new CronError(`unknown descriptor ${JSON.stringify(spec)}`)
    return zoned(parseFields(fields.split(' ')))
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '')
  if (fields.length < 5 || fields.length > 6) {
    throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found ${fields.length}`)
  }
  return zoned(parseFields(fields.length === 5 ? ['0', ...fields] : fields))
}

function parseFields(fields: string[]): CronFields {
  const sets: number[][] = []
  const any: boolean[] = []
  FIELDS.forEach(([name, bounds], i) => {
    const { values, star } = parseField(fields[i]!, name, bounds)
    sets.push(values)
    any.push(star)
  })
  return {
    kind: 'fields',
    second: sets[0]!, minute: sets[1]!, hour: sets[2]!, dayOfMonth: sets[3]!, month: sets[4]!, dayOfWeek: sets[5]!,
    dayOfMonthAny: any[3]!, dayOfWeekAny: any[5]!,
  }
}

function parseField(field: string, name: string, b: Bounds): { values: number[]; star: boolean } {
  const values = new Set<number>()
  let star = false
  for (const item of field.split(',')) {
    const r = parseItem(item, name, b)
    star ||= r.star
    for (let v = r.start; v <= r.end; v += r.step) values.add(v)
  }
  return { values: [...values].sort((x, y) => x - y), star }
}

function parseItem(item: string, name: string, b: Bounds): { start: number; end: number; step: number; star: boolean } {
  const slash = item.split('/')
  if (slash.length > 2) throw new CronError(`${name} field: too many "/" in ${JSON.stringify(item)}`)
  const hyphen = slash[0]!.split('-')
  let start: number
  let end: number
  let star = false
  if (hyphen[0] === '*' || hyphen[0] === '?') {
    start = b.min
    end = b.max
    star = true
  } else {
    if (hyphen.length > 2) throw new CronError(`${name} field: too many "-" in ${JSON.stringify(item)}`)
    start = value(hyphen[0]!, name, b)
    end = hyphen.length === 2 ? value(hyphen[1]!, name, b) : start
  }
  let step = 1
  if (slash.length === 2) {
    step = integer(slash[1]!, name)
    if (hyphen.length === 1) end = b.max
    if (step > 1) star = false
  }
  if (start < b.min) throw new CronError(`${name} field: ${start} is below the minimum ${b.min} in ${JSON.stringify(item)}`)
  if (end > b.max) throw new CronError(`${name} field: ${end} is above the maximum ${b.max} in ${JSON.stringify(item)}`)
  if (start > end) throw new CronError(`${name} field: range ${JSON.stringify(item)} starts after it ends`)
  if (step === 0) throw new CronError(`${name} field: the step in ${JSON.stringify(item)} must be a positive number`)
  return { start, end, step, star }
}

function value(s: string, name: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()]
  return named ?? integer(s, name)
}

/** Go's strconv.Atoi, then no negatives. */
function integer(s: string, name: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CronError(`${name} field: ${JSON.stringify(s)} is not a number${name === 'month' || name === 'day-of-week' ? ' or a name' : ''}`)
  const n = Number(s)
  if (n < 0) throw new CronError(`${name} field: negative number ${s} is not allowed`)
  return n
}

/** Go's time.LoadLocation: "" (UTC), "UTC", "Local", or an IANA zone name. */
function isTimeZone(zone: string): boolean {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return true
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
