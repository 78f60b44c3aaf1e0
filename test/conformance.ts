/** @module test/conformance: paths into ../shared/conformance, the public files tests use as oracles. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const here = dirname(fileURLToPath(import.meta.url))
export const CONFORMANCE = resolve(here, '../../shared/conformance')
export const CHAOS_MESH_EXAMPLES = join(CONFORMANCE, 'chaos-mesh/examples')
export const CRD_DIR = join(CONFORMANCE, 'chaos-mesh/crd')

export function conformanceAvailable(): boolean {
  return existsSync(CONFORMANCE)
}

/** Every file under `dir` whose name ends with one of `exts`, sorted. */
export function filesUnder(dir: string, exts = ['.yaml', '.yml', '.json']): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (exts.some((x) => e.endsWith(x))) out.push(p)
    }
  }
  walk(dir)
  return out
}

export interface Crd {
  kind: string
  /** openAPIV3Schema of the served version. */
  schema: Record<string, unknown>
}

/** Every CRD in the conformance set, by kind. */
export function loadCrds(): Map<string, Crd> {
  const out = new Map<string, Crd>()
  for (const f of filesUnder(CRD_DIR, ['.yaml'])) {
    const doc = parse(readFileSync(f, 'utf8')) as {
      spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] }
    }
    const version = doc.spec.versions.find((v) => v.name === 'v1alpha1') ?? doc.spec.versions[0]!
    out.set(doc.spec.names.kind, { kind: doc.spec.names.kind, schema: version.schema.openAPIV3Schema })
  }
  return out
}
