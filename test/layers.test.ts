/**
 * The layers hold: every import in src/ goes down a layer (or stays in its own), and no import closes a cycle.
 *
 *   cli → index → wiring → api / engine → faults → runtime client → runtime (the daemon)
 *   kube (the Kubernetes target, through Chaos Mesh): used by index, wiring and api; imports verdict (types) and leaves
 *   load (the load generator): used by index, wiring, api and engine; imports only leaves
 *   verdict (chaoscope run: hypotheses, Chaos Toolkit's run loop and journal): used by index and wiring; imports load and leaves
 *   report (chaoscope report: signals, fault windows and runs to HTML, JSON, Markdown): used by index, wiring and api; imports verdict, load and leaves
 *   leaves: manifest, store, observe, errors, http-client, http-guard (limits, Host/Origin rules, bearer auth), selector, version, wire
 *
 *   dashboard/src (the web page, bundled for the browser): runs only pure modules of src/ (PAGE_MAY_RUN), the rest as types
 *
 * Imports are read with the TypeScript compiler's own parser (every static and dynamic import, `import type`
 * included), so the rule is about the code as the compiler sees it. docs/architecture.md says the same in words.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')
const SRC = join(ROOT, 'src')

type Layer = 'cli' | 'index' | 'wiring' | 'api' | 'engine' | 'kube' | 'load' | 'verdict' | 'report' | 'faults' | 'runtime-client' | 'runtime' | 'manifest' | 'store' | 'observe' | 'errors' | 'http-client' | 'http-guard' | 'selector' | 'version' | 'wire'

/** The layer of a file, by its path under src/. */
export function layerOf(file: string): Layer {
  const p = relative(SRC, file).replaceAll('\\', '/')
  if (p.startsWith('cli/')) return 'cli'
  if (p === 'index.ts') return 'index'
  if (p === 'wiring.ts' || p === 'app-file.ts' || p === 'doctor.ts' || p === 'run-target.ts' || p === 'server-config.ts' || p === 'recorder.ts' || p === 'kube-controller.ts') return 'wiring'
  if (p.startsWith('api/')) return 'api'
  if (p.startsWith('engine/')) return 'engine'
  if (p.startsWith('kube/')) return 'kube'
  if (p.startsWith('load/')) return 'load'
  if (p.startsWith('verdict/')) return 'verdict'
  if (p.startsWith('report/')) return 'report'
  if (p.startsWith('faults/')) return 'faults'
  if (p === 'runtime/client.ts' || p === 'runtime/types.ts') return 'runtime-client'
  if (p.startsWith('runtime/')) return 'runtime'
  if (p.startsWith('manifest/')) return 'manifest'
  if (p.startsWith('store/')) return 'store'
  if (p.startsWith('observe/')) return 'observe'
  if (p === 'errors.ts' || p === 'errors-doc.ts') return 'errors'
  if (p === 'http-client.ts') return 'http-client'
  if (p === 'http-guard.ts' || p === 'http-security.ts' || p === 'http-auth.ts') return 'http-guard'
  if (p === 'selector.ts') return 'selector'
  if (p === 'version.ts') return 'version'
  if (p.startsWith('wire/')) return 'wire'
  throw new Error(`${p}: no layer; add it to test/layers.test.ts and docs/architecture.md`)
}

const LEAVES: Layer[] = ['manifest', 'store', 'observe', 'errors', 'http-client', 'http-guard', 'selector', 'version', 'wire']

/** What each layer may import (besides itself). */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  cli: ['index'],
  index: ['wiring', 'report', 'verdict', 'api', 'engine', 'kube', 'load', 'faults', 'runtime-client', 'runtime', ...LEAVES],
  wiring: ['report', 'verdict', 'api', 'engine', 'kube', 'load', 'faults', 'runtime-client', 'runtime', ...LEAVES],
  api: ['engine', 'kube', 'report', 'load', 'faults', 'runtime-client', ...LEAVES],
  engine: ['load', 'faults', 'runtime-client', ...LEAVES],
  kube: ['verdict', ...LEAVES],
  load: [...LEAVES],
  verdict: ['load', ...LEAVES],
  report: ['verdict', 'load', ...LEAVES],
  faults: ['runtime-client', ...LEAVES],
  'runtime-client': ['store', 'errors', 'http-client'],
  runtime: ['runtime-client', 'store', 'observe', 'errors', 'http-client', 'http-guard', 'selector', 'version', 'wire'],
  manifest: ['errors'],
  store: ['errors'],
  observe: ['errors', 'version', 'wire'],
  errors: [],
  'http-client': ['errors'],
  'http-guard': ['errors', 'store'],
  selector: ['errors'],
  version: [],
  wire: [],
}

/**
 * Types only (erased at build time) may come from a few files further down: the faults layer names the body types
 * of the runtime's effect modules (src/runtime/effects/), and the runtime client names the supervisor's pod type.
 */
const MAY_IMPORT_TYPES: Partial<Record<Layer, (file: string) => boolean>> = {
  faults: (f) => rel(f).startsWith('src/runtime/effects/'),
  'runtime-client': (f) => rel(f) === 'src/runtime/process/types.ts',
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name)
    if (d.isDirectory()) return sources(p)
    return /\.tsx?$/.test(d.name) && !d.name.endsWith('.test.ts') && !d.name.endsWith('.d.ts') ? [p] : []
  })
}

/**
 * The files of src/ the dashboard may run in the browser: pure code (no node: module, no I/O), so that the page
 * draws the report's own charts, reads label selectors and cron specs as the controller does. Anything else of
 * src/ it may name as types only (erased by the bundler).
 */
const PAGE_MAY_RUN = ['src/report/charts.ts', 'src/selector.ts', 'src/errors.ts', 'src/engine/schedule-decide.ts', 'src/manifest/cron.ts', 'src/manifest/duration.ts']

interface Edge {
  from: string
  to: string
  typeOnly: boolean
}

/** Every relative import of a file, resolved to the .ts file it names; `import type` and `export type` marked. */
export function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8')
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
  const out: Edge[] = []
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return
    const to = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
    // the dashboard's own modules are .tsx where they hold components
    out.push({ from: file, to: to.endsWith('.ts') && !existsSync(to) && existsSync(`${to}x`) ? `${to}x` : to, typeOnly })
  }
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? (node.importClause?.isTypeOnly ?? false) : node.isTypeOnly
      add(node.moduleSpecifier.text, typeOnly)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      add(node.arguments[0].text, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

const files = sources(SRC)
const edges = files.flatMap(importsOf)
function rel(f: string): string {
  return relative(ROOT, f).replaceAll('\\', '/')
}

describe('layers', () => {
  it('every file in src/ has a layer', () => {
    for (const f of files) expect(() => layerOf(f)).not.toThrow()
  })

  it('no import goes up a layer or sideways into another', () => {
    const bad: string[] = []
    for (const e of edges) {
      const a = layerOf(e.from)
      const b = layerOf(e.to)
      if (a === b || MAY_IMPORT[a].includes(b) || (e.typeOnly && MAY_IMPORT_TYPES[a]?.(e.to))) continue
      bad.push(`${rel(e.from)} (${a}) imports ${rel(e.to)} (${b})${e.typeOnly ? ' [types]' : ''}`)
    }
    expect(bad).toEqual([])
  })

  it('no import closes a cycle between modules (type-only imports are erased at build time and may)', () => {
    const graph = new Map<string, string[]>()
    for (const e of edges) if (!e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to])
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const stack: string[] = []
    const walk = (f: string): void => {
      state.set(f, 'open')
      stack.push(f)
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].map(rel).join(' → '))
        else if (!state.has(g)) walk(g)
      }
      stack.pop()
      state.set(f, 'done')
    }
    for (const f of files) if (!state.has(f)) walk(f)
    expect(cycles).toEqual([])
  })

  it('catches what it should: a fault module importing the daemon, the CLI importing a layer below index', () => {
    const faults = join(SRC, 'faults', 'x.ts')
    const daemon = join(SRC, 'runtime', 'local-runtime.ts')
    expect(MAY_IMPORT[layerOf(faults)].includes(layerOf(daemon))).toBe(false)
    expect(MAY_IMPORT_TYPES.faults!(join(SRC, 'runtime', 'proxy', 'toxic.ts'))).toBe(false) // not even its types
    expect(MAY_IMPORT_TYPES.faults!(join(SRC, 'runtime', 'effects', 'sidecar-fault.ts'))).toBe(true)
    expect(MAY_IMPORT[layerOf(join(SRC, 'cli', 'main.ts'))]).toEqual(['index'])
    expect(layerOf(join(SRC, 'runtime', 'client.ts'))).toBe('runtime-client')
  })
})

describe('the dashboard', () => {
  const page = sources(join(ROOT, 'dashboard', 'src'))
  const runs = (f: string) => importsOf(f).filter((e) => !e.typeOnly && !rel(e.to).startsWith('dashboard/'))

  it('runs only the pure modules of src/ it may (PAGE_MAY_RUN), and those run only each other', () => {
    const bad: string[] = []
    for (const f of page) for (const e of runs(f)) if (!PAGE_MAY_RUN.includes(rel(e.to))) bad.push(`${rel(f)} runs ${rel(e.to)}`)
    for (const f of PAGE_MAY_RUN) for (const e of runs(join(ROOT, f))) if (!PAGE_MAY_RUN.includes(rel(e.to))) bad.push(`${f} (run by the page) runs ${rel(e.to)}`)
    expect(bad).toEqual([])
  })

  it('those modules import no node: module, and the page none either', () => {
    const nodeImports = [...page, ...PAGE_MAY_RUN.map((f) => join(ROOT, f))].filter((f) => /from ['"]node:/.test(readFileSync(f, 'utf8'))).map(rel)
    expect(nodeImports).toEqual([])
    expect(page.length).toBeGreaterThan(10)
  })
})
