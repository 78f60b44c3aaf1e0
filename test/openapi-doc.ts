/**
 * @module test/openapi-doc: what the OpenAPI documents' unit tests compare: the operations a document names and the
 * routes a hono app serves (as `METHOD /path/{param}`), and the document's own consistency (references that
 * resolve, path templates whose parameters are declared, operations whose answers say their content).
 */
import type { Hono } from 'hono'

type Doc = Record<string, unknown>
type Item = Record<string, unknown> & { parameters?: { name: string; in: string }[] }

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

/** `GET /api/v1/namespaces/{namespace}/{kind}/{name}`, one per route and method (middleware left out). */
export function routesOf(app: Hono): string[] {
  const all = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`)
  return [...new Set(all)].sort()
}

/** The operations a document names, as {@link routesOf} names routes. */
export function operationsOf(doc: Doc): string[] {
  const out: string[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Item>)) for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`)
  return out.sort()
}

/** Every `$ref` in the document that names nothing in it. */
export function danglingRefs(doc: Doc): string[] {
  const out: string[] = []
  const resolves = (ref: string) => {
    let at: unknown = doc
    for (const part of ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown> | undefined)?.[part]
    return at !== undefined
  }
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && (typeof x !== 'string' || !x.startsWith('#/') || !resolves(x))) out.push(String(x))
        else walk(x)
      }
    }
  }
  walk(doc)
  return out
}

/** What is wrong with each operation: path parameters not declared (or declared and not in the path), answers without a description or content. */
export function operationProblems(doc: Doc): string[] {
  const out: string[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Item>)) {
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort()
    for (const m of METHODS) {
      const o = item[m] as (Item & { responses?: Record<string, { description?: string; content?: unknown }> }) | undefined
      if (!o) continue
      const at = `${m.toUpperCase()} ${path}`
      const declared = [...(item.parameters ?? []), ...(o.parameters ?? [])].filter((p) => p.in === 'path').map((p) => p.name).sort()
      if (declared.join() !== inPath.join()) out.push(`${at}: path parameters ${JSON.stringify(declared)}, the path has ${JSON.stringify(inPath)}`)
      const responses = Object.entries(o.responses ?? {})
      if (!responses.some(([s]) => s.startsWith('2'))) out.push(`${at}: no 2xx answer`)
      for (const [s, r] of responses) if (!r.description || !r.content) out.push(`${at} ${s}: no description or content`)
    }
  }
  return out
}
