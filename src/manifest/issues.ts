/** @module manifest/issues: one problem found in one document, with where it is and what to do. */
import type { ErrorCode } from '../errors.js'

/** A path into a document: object keys and array indexes, outermost first. */
export type FieldPath = readonly (string | number)[]

/**
 * One problem in one document. The validator collects every issue of every document and never throws for
 * user input; `line` and `col` are 1-based. A missing field points at its parent.
 */
export interface Issue {
  code: ErrorCode
  file: string
  line: number
  col: number
  /** Field path as the user writes it: `spec.templates[2].children[0]`; empty for the document itself. */
  path: string
  message: string
  hint?: string
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/

/** `['spec', 'templates', 2, 'name']` → `spec.templates[2].name`; odd keys are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: FieldPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** `file:line:col  path: message  [CODE]`, then the hint on its own line. */
export function formatIssue(issue: Issue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`
  const what = issue.path ? `${issue.path}: ${issue.message}` : issue.message
  const head = `${where}  ${what}  [${issue.code}]`
  return issue.hint ? `${head}\n    hint: ${issue.hint}` : head
}

/** Issues in reading order: by file, then line, then column. */
export function sortIssues(issues: Issue[]): Issue[] {
  return [...issues].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col))
}

/** Levenshtein distance, for "did you mean …?" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** The closest candidate to `word`, if it is close enough to be a likely typo (case-insensitive). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestDist = Infinity
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d < bestDist) {
      bestDist = d
      best = c
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3))
  return bestDist <= limit ? best : undefined
}

/** `did you mean "x"?` when a close candidate exists. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates)
  return c === undefined ? undefined : `did you mean "${c}"?`
}
