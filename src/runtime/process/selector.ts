/** @module runtime/process/selector: Kubernetes label selectors (a map, or the `kubectl -l` string form) matched against pod labels. */

/** `{app: 'web'}`, or a string like `app=web,tier!=db,canary,!legacy,env in (dev,qa),zone notin (b)`. */
export type LabelSelector = Record<string, string> | string

type Requirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: '!exists' }

/** Parses the string form; throws an Error naming the part it cannot read. */
export function parseSelector(text: string): Requirement[] {
  const reqs: Requirement[] = []
  // split on commas that are not inside parentheses
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  for (const raw of parts) {
    const p = raw.trim()
    if (p === '') continue
    let m: RegExpExecArray | null
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) })
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] })
    } else if ((m = /^!\s*([\w./-]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: '!exists' })
    } else if ((m = /^([\w./-]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: 'exists' })
    } else {
      throw new Error(`cannot read label selector part ${JSON.stringify(p)}`)
    }
  }
  return reqs
}

/** True when `labels` satisfy every requirement of `selector` (an empty selector matches everything). */
export function matchesSelector(labels: Record<string, string>, selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return true
  if (typeof selector !== 'string') return Object.entries(selector).every(([k, v]) => labels[k] === v)
  return parseSelector(selector).every((r) => {
    const has = Object.hasOwn(labels, r.key)
    switch (r.op) {
      case 'exists': return has
      case '!exists': return !has
      case 'in': return has && r.values.includes(labels[r.key]!)
      case 'notin': return !has || !r.values.includes(labels[r.key]!)
    }
  })
}
