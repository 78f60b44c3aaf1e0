/** @module manifest/source: turns -f arguments (files, directories, "-") into named texts. The only I/O of spec/. */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Issue } from './issues.js'

export const DEFAULT_MAX_FILE_SIZE = 1024 * 1024

/** A file's text, or the issue that stopped it from being read. */
export interface Source {
  /** As given by the user (or relative to the directory given), `<stdin>` for "-". */
  name: string
  text?: string
  /** true when the file was found by walking a directory, not named explicitly. */
  discovered: boolean
}

export interface ReadOptions {
  maxFileSize?: number
  /** Read by "-"; defaults to the process's stdin. */
  stdin?: () => Buffer
}

const EXTENSIONS = /\.(ya?ml|json)$/i

/**
 * Reads every input: a file, a directory (recursively, *.yaml, *.yml and *.json, sorted, hidden entries
 * and node_modules skipped) or "-" for stdin. Never throws for a user mistake: unreadable, oversized and
 * non-UTF-8 files come back as issues, and the others are still read.
 */
export function readSources(inputs: readonly string[], opts: ReadOptions = {}): { sources: Source[]; issues: Issue[] } {
  const max = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE
  const sources: Source[] = []
  const issues: Issue[] = []
  const fail = (name: string, code: Issue['code'], message: string, hint?: string, line = 1, col = 1) =>
    issues.push({ code, file: name, line, col, path: '', message, ...(hint ? { hint } : {}) })

  const addBytes = (name: string, bytes: Buffer, discovered: boolean) => {
    if (bytes.length > max) {
      fail(name, 'SPEC_FILE_TOO_LARGE', `file is ${bytes.length} bytes, over the limit of ${max} bytes`, 'split the file, or raise the limit with --max-file-size')
      return
    }
    const text = decodeUtf8(bytes)
    if (typeof text !== 'string') {
      fail(name, 'SPEC_INVALID_UTF8', `invalid UTF-8 byte 0x${text.byte.toString(16).padStart(2, '0')}`, 'save the file as UTF-8', text.line, text.col)
      return
    }
    sources.push({ name, text, discovered })
  }

  for (const input of inputs) {
    if (input === '-') {
      let bytes: Buffer
      try {
        bytes = (opts.stdin ?? (() => readFileSync(0)))()
      } catch (cause) {
        fail('<stdin>', 'SPEC_FILE_NOT_FOUND', `cannot read stdin: ${(cause as Error).message}`)
        continue
      }
      addBytes('<stdin>', bytes, false)
      continue
    }
    let isDir: boolean
    try {
      isDir = statSync(input).isDirectory()
    } catch {
      fail(input, 'SPEC_FILE_NOT_FOUND', 'no such file or directory', 'check the path given to -f')
      continue
    }
    const files = isDir ? walk(input).map((f) => ({ path: f, discovered: true })) : [{ path: input, discovered: false }]
    if (isDir && files.length === 0) {
      fail(input, 'SPEC_NO_INPUT', 'directory holds no .yaml, .yml or .json file')
      continue
    }
    for (const f of files) {
      let bytes: Buffer
      try {
        const size = statSync(f.path).size
        if (size > max) {
          fail(f.path, 'SPEC_FILE_TOO_LARGE', `file is ${size} bytes, over the limit of ${max} bytes`, 'split the file, or raise the limit with --max-file-size')
          continue
        }
        bytes = readFileSync(f.path)
      } catch (cause) {
        fail(f.path, 'SPEC_FILE_NOT_FOUND', `cannot read file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`)
        continue
      }
      addBytes(f.path, bytes, f.discovered)
    }
  }
  return { sources, issues }
}

function walk(dir: string): string[] {
  const out: string[] = []
  const visit = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const p = join(d, entry.name)
      if (entry.isDirectory()) visit(p)
      else if (entry.isFile() && EXTENSIONS.test(entry.name)) out.push(p)
    }
  }
  visit(dir)
  return out.map((p) => (dir === '.' ? relative('.', p) : p))
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** The text (a leading BOM dropped), or where the first invalid byte is: 1-based line, column in characters. */
export function decodeUtf8(bytes: Uint8Array): string | { byte: number; line: number; col: number } {
  try {
    const text = decoder.decode(bytes)
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  } catch {
    const bad = firstInvalidUtf8(bytes)
    let line = 1
    let col = 1
    for (let i = 0; i < bad; ) {
      const b = bytes[i]!
      if (b === 0x0a) {
        line++
        col = 1
      } else col++
      i += b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4
    }
    return { byte: bytes[bad] ?? 0, line, col }
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or the length. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    let n: number
    let lo = 0x80
    let hi = 0xbf
    if (c < 0x80) n = 0
    else if (c >= 0xc2 && c <= 0xdf) n = 1
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2
      if (c === 0xe0) lo = 0xa0
      if (c === 0xed) hi = 0x9f
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3
      if (c === 0xf0) lo = 0x90
      if (c === 0xf4) hi = 0x8f
    } else return i
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i
    }
    i += n + 1
  }
  return i
}
