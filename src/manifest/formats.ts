/**
 * @module manifest/formats: the string formats our schemas use (`format: duration`, …), as Ajv format
 * definitions. The same objects serve the validators compiled at run time and the ones generated at build time
 * (which reach them as `formats.<name>`), so both accept exactly the same strings.
 */
import { parseDuration } from './duration.js'

export interface StringFormat {
  type: 'string'
  validate(s: string): boolean
}

export const FORMATS: Readonly<Record<string, StringFormat>> = {
  duration: { type: 'string', validate: (s) => s === '' || parseDuration(s) !== undefined },
  'float-string': { type: 'string', validate: (s) => s === '' || (s.trim() !== '' && Number.isFinite(Number(s))) },
  byte: { type: 'string', validate: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 },
  'date-time': { type: 'string', validate: (s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)) },
  uri: { type: 'string', validate: (s) => URL.canParse(s) },
}
