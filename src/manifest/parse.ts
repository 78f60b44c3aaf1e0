/** @module manifest/parse: YAML/JSON text → documents that can say where any field path sits in the source. */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from 'yaml'
import type { Document, Node as YamlNode, Pair } from 'yaml'
import type { ErrorCode } from '../errors.js'
import { formatPath } from './issues.js'
import type { FieldPath, Issue } from './issues.js'

/** Upper bound on nodes that alias expansion may add to one document ("billion laughs" guard). */
export const MAX_ALIAS_EXPANSION = 10_000

/** One YAML document of a file, parsed, with its JS value and a way back from field paths to positions. */
export interface ParsedDocument {
  file: string
  /** 0-based position of the document in its file. */
  index: number
  value: unknown
  /** Where the document starts. */
  line: number
  col: number
  /**
   * Position of the node at `path` (its key with `key: true`). A path that does not exist resolves to its
   * deepest existing ancestor, at that ancestor's key: a missing field points at its parent's line.
   */
  locate(path: FieldPath, opts?: { key?: boolean }): { line: number; col: number }
  /** true when the path exists in the source (used to tell defaults from written values). */
  has(path: FieldPath): boolean
}

const YAML_CODES: Record<string, ErrorCode> = {
  DUPLICATE_KEY: 'SPEC_DUPLICATE_KEY',
  TAB_AS_INDENT: 'SPEC_TAB_INDENT',
}

/**
 * Parses every document of one file. Never throws: syntax problems come back as positioned issues, and a
 * document whose text is broken is left out of `documents` (so that no noise follows from a guess at its
 * shape). Duplicate keys are reported and the document is kept, with the last value, as YAML readers do.
 */
export function parseSource(file: string, text: string): { documents: ParsedDocument[]; issues: Issue[] } {
  const issues: Issue[] = []
  const documents: ParsedDocument[] = []
  let docs: Document.Parsed[]
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, merge: true, logLevel: 'error' }) as Document.Parsed[]
    if (!Array.isArray(docs)) docs = [docs]
  } catch (cause) {
    issues.push({ code: 'SPEC_YAML_SYNTAX', file, line: 1, col: 1, path: '', message: `cannot parse: ${(cause as Error).message}` })
    return { documents, issues }
  }
  const pos = positions(text)

  docs.forEach((doc, index) => {
    let fatal = false
    const dups = doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? duplicateKeys(doc) : []
    let nthDup = 0
    for (const err of doc.errors) {
      const code = YAML_CODES[err.code] ?? 'SPEC_YAML_SYNTAX'
      if (code !== 'SPEC_DUPLICATE_KEY') fatal = true
      // YAML reports duplicates in reading order, as duplicateKeys lists them; the n-th error is the n-th repeat
      const dup = code === 'SPEC_DUPLICATE_KEY' ? dups[nthDup++] : undefined
      const { line, col } = pos(dup ? dup.offset : err.pos[0])
      const first = dup ? pos(dup.firstOffset) : undefined
      const message = dup && first ? `duplicate key ${JSON.stringify(dup.key)}, first defined at line ${first.line}, column ${first.col}` : firstLine(err.message)
      issues.push({
        code, file, line, col, path: dup ? formatPath(dup.path) : '', message,
        ...(code === 'SPEC_DUPLICATE_KEY' ? { hint: 'only the last value is kept; remove or rename one of the keys' } : {}),
        ...(code === 'SPEC_TAB_INDENT' ? { hint: 'indent with spaces' } : {}),
      })
    }
    if (fatal) return
    if (doc.contents === null) return // an empty document (a lone ---, or only comments)

    const bomb = findAliasBomb(doc)
    if (bomb !== undefined) {
      const { line, col } = pos(bomb)
      issues.push({
        code: 'SPEC_ALIAS_LIMIT', file, line, col, path: '',
        message: `aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes`,
        hint: 'write the repeated content out, or use fewer nested aliases',
      })
      return
    }
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: -1 })
    } catch (cause) {
      const { line, col } = pos(doc.contents.range?.[0] ?? 0)
      issues.push({ code: 'SPEC_YAML_SYNTAX', file, line, col, path: '', message: `cannot read document: ${(cause as Error).message}` })
      return
    }
    const start = pos(doc.contents.range?.[0] ?? 0)
    documents.push({
      file,
      index,
      value,
      line: start.line,
      col: start.col,
      locate: (path, opts) => pos(locateOffset(doc, path, opts?.key ?? false)),
      has: (path) => findNode(doc, path).found,
    })
  })
  return { documents, issues }
}

/**
 * Every repeated key of a document, in reading order: its name, its field path, where it is and where the
 * key first occurs in the same mapping. Keys are equal as YAML's uniqueness check has them (same scalar value).
 */
function duplicateKeys(doc: Document.Parsed): { key: string; path: FieldPath; offset: number; firstOffset: number }[] {
  const out: { key: string; path: FieldPath; offset: number; firstOffset: number }[] = []
  // `path` is undefined below a key that is itself a collection: no field path leads there
  const walk = (node: unknown, path: (string | number)[] | undefined, depth: number): void => {
    if (depth > 200) return
    if (isMap(node)) {
      node.items.forEach((p, i) => {
        if (!isPair(p)) return
        const k = p.key
        if (isScalar(k)) {
          const first = node.items.slice(0, i).find((q) => isPair(q) && isScalar(q.key) && q.key.value === k.value)
          const offset = rangeStart(k)
          const firstOffset = first ? rangeStart(first.key) : undefined
          if (offset !== undefined && firstOffset !== undefined) out.push({ key: String(k.value), path: path ? [...path, String(k.value)] : [], offset, firstOffset })
        } else {
          walk(k, undefined, depth + 1)
        }
        walk(p.value, path && isScalar(k) ? [...path, String(k.value)] : undefined, depth + 1)
      })
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, path ? [...path, i] : undefined, depth + 1))
    }
  }
  walk(doc.contents, [], 0)
  return out.sort((a, b) => a.offset - b.offset)
}

/**
 * Offset → 1-based line and column, from the text itself. (The parser's own line counter skips the line
 * breaks inside some broken tokens, which shifts every later position of a broken file.)
 */
function positions(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0]
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    const at = Math.min(Math.max(offset, 0), text.length)
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= at) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: at - starts[lo]! + 1 }
  }
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message
  return line.charAt(0).toLowerCase() + line.slice(1)
}

interface Found {
  found: boolean
  /** The deepest node reached, and the pair that holds it when it is a map value. */
  node: YamlNode | null
  pair?: Pair
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node
}

function findNode(doc: Document.Parsed, path: FieldPath): Found {
  let node = deref(doc, doc.contents) as YamlNode | null
  let pair: Pair | undefined
  for (const seg of path) {
    if (isMap(node)) {
      const next = node.items.find((p) => isPair(p) && keyOf(p) === String(seg))
      if (!next) return { found: false, node, ...(pair ? { pair } : {}) }
      pair = next
      node = deref(doc, next.value) as YamlNode | null
      if (node === null) return { found: true, node: null, pair }
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      pair = undefined
      node = deref(doc, node.items[seg]) as YamlNode | null
    } else {
      return { found: false, node, ...(pair ? { pair } : {}) }
    }
  }
  return { found: true, node, ...(pair ? { pair } : {}) }
}

function keyOf(p: Pair): string | undefined {
  const k = p.key
  if (isScalar(k)) return String(k.value)
  return typeof k === 'string' || typeof k === 'number' ? String(k) : undefined
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as { range?: [number, number, number] } | null)?.range
  return r ? r[0] : undefined
}

function locateOffset(doc: Document.Parsed, path: FieldPath, wantKey: boolean): number {
  const f = findNode(doc, path)
  if (!f.found || wantKey) {
    // Missing: point at the key of the deepest existing ancestor (its line is the parent's line).
    const at = rangeStart(f.pair?.key) ?? rangeStart(f.node)
    return at ?? 0
  }
  return rangeStart(f.node) ?? rangeStart(f.pair?.key) ?? 0
}

/**
 * Counts how many nodes alias expansion adds; returns the offset of the alias that crosses the bound.
 * Node counts of anchored nodes are memoised, so nested aliases ("billion laughs") cost linear time here.
 */
function findAliasBomb(doc: Document.Parsed): number | undefined {
  const sizes = new Map<unknown, number>()
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > 1000) return Infinity
    const target = deref(doc, node)
    if (target === undefined || target === null) return 1
    const memo = sizes.get(target)
    if (memo !== undefined) return memo
    let n = 1
    if (isMap(target)) for (const p of target.items) n += sizeOf(p.key, depth + 1) + sizeOf(p.value, depth + 1)
    else if (isSeq(target)) for (const it of target.items) n += sizeOf(it, depth + 1)
    n = Math.min(n, Number.MAX_SAFE_INTEGER)
    sizes.set(target, n)
    return n
  }
  let added = 0
  let offender: number | undefined
  visit(doc, {
    Alias(_, node) {
      added += sizeOf(node, 0)
      if (added > MAX_ALIAS_EXPANSION) {
        offender = rangeStart(node) ?? 0
        return visit.BREAK
      }
      return undefined
    },
  })
  return offender
}
