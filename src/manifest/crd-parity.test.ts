/**
 * Our schemas against Chaos Mesh's CRDs: every field, type, enum, required list, default and range of the
 * CRD's `spec` must be in ours, and ours must add no field the CRD lacks. The CRDs are the oracle only;
 * nothing at run time reads them.
 */
import { describe, expect, it } from 'vitest'
import { chaosMeshKinds, CHAOS_MESH_KINDS } from './registry.js'
import { loadCrds } from '../../test/conformance.js'

type Schema = Record<string, unknown>

/** Subtrees that stand for Kubernetes core types we do not restate field by field (see each reason). */
const NOT_COMPARED: Record<string, string> = Object.fromEntries(
  // A Workflow's templates, standalone and inside a Schedule of type Workflow.
  ['spec.templates[]', 'spec.workflow.templates[]'].flatMap((t) => Object.entries({
    [`${t}.task.container.lifecycle`]: 'core/v1 Lifecycle hooks: an open object, Kubernetes validates it',
    [`${t}.task.container.livenessProbe`]: 'core/v1 Probe: an open object, Kubernetes validates it',
    [`${t}.task.container.readinessProbe`]: 'core/v1 Probe: an open object, Kubernetes validates it',
    [`${t}.task.container.startupProbe`]: 'core/v1 Probe: an open object, Kubernetes validates it',
    [`${t}.task.container.securityContext`]: 'core/v1 SecurityContext: an open object, Kubernetes validates it',
    [`${t}.task.container.env[].valueFrom`]: 'core/v1 EnvVarSource (config map, secret, field and resource refs): an open object',
    [`${t}.task.volumes[]`]: 'core/v1 Volume: the source names are closed, each source (about 30 kinds) is an open object',
  })),
)

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'integer|string'
  if (Array.isArray(s.type)) return [...(s.type as string[])].sort().join('|')
  if (s.type === undefined && s.anyOf) return ((s.anyOf as Schema[]).map((x) => String(x.type))).sort().join('|')
  return String(s.type ?? 'any')
}

/** Differences between the CRD schema and ours at `path`, as readable lines. */
export function compareSchemas(crd: Schema, ours: Schema, path: string, out: string[]): void {
  for (const [prefix, _why] of Object.entries(NOT_COMPARED)) if (path === prefix) return
  if (crd['x-kubernetes-preserve-unknown-fields']) {
    if (ours.additionalProperties === false) out.push(`${path}: CRD keeps unknown fields, ours is closed`)
    return
  }
  const ct = typeOf(crd)
  const ot = typeOf(ours)
  if (ct !== ot && !(ct === 'number' && ot === 'number') && ct !== 'any') out.push(`${path}: type ${ct} in CRD, ${ot} in ours`)
  if (crd.enum) {
    const a = [...(crd.enum as unknown[])].map(String).sort().join(',')
    const b = [...((ours.enum as unknown[]) ?? [])].map(String).sort().join(',')
    if (a !== b) out.push(`${path}: enum [${a}] in CRD, [${b}] in ours`)
  }
  for (const k of ['default', 'minimum', 'maximum', 'pattern', 'minItems', 'maxItems', 'minLength', 'maxLength'] as const) {
    if (crd[k] !== undefined && JSON.stringify(crd[k]) !== JSON.stringify(ours[k])) {
      out.push(`${path}: ${k} ${JSON.stringify(crd[k])} in CRD, ${JSON.stringify(ours[k])} in ours`)
    }
  }
  const cp = (crd.properties ?? {}) as Record<string, Schema>
  const op = (ours.properties ?? {}) as Record<string, Schema>
  if (crd.properties || ours.properties) {
    for (const k of Object.keys(cp)) if (!(k in op)) out.push(`${path}.${k}: in CRD, missing in ours`)
    for (const k of Object.keys(op)) if (!(k in cp)) out.push(`${path}.${k}: in ours, not in CRD`)
    const cr = [...((crd.required as string[]) ?? [])].sort().join(',')
    const or = [...((ours.required as string[]) ?? [])].sort().join(',')
    if (cr !== or) out.push(`${path}: required [${cr}] in CRD, [${or}] in ours`)
    for (const k of Object.keys(cp)) if (k in op) compareSchemas(cp[k]!, op[k]!, `${path}.${k}`, out)
  }
  if (crd.items) compareSchemas(crd.items as Schema, (ours.items ?? {}) as Schema, `${path}[]`, out)
  if (crd.additionalProperties && typeof crd.additionalProperties === 'object') {
    compareSchemas(crd.additionalProperties as Schema, (ours.additionalProperties ?? {}) as Schema, `${path}{}`, out)
  }
}

const crds = loadCrds()

describe('schemas match the Chaos Mesh CRDs', () => {
  it('has a CRD for every user-facing kind we define', () => {
    for (const k of CHAOS_MESH_KINDS) expect(crds.has(k), k).toBe(true)
  })
  for (const kind of CHAOS_MESH_KINDS) {
    const def = chaosMeshKinds[kind]
    it(`${kind}.spec`, () => {
      const crd = crds.get(kind)!
      const spec = (crd.schema.properties as Record<string, Schema>).spec!
      const diffs: string[] = []
      compareSchemas(spec, def.spec as unknown as Schema, 'spec', diffs)
      expect(diffs).toEqual([])
    })
  }
})
