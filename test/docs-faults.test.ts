/**
 * docs/faults/ has a page per fault kind (issue 19): every kind the local runtime injects has its page, linked from
 * the index; every Chaos Mesh kind is a row of the index's table, with its actions; each example a page shows is
 * its file under examples/ byte for byte, validates with no issue, and selects labels that its demo app's pods carry;
 * the links of the pages (and of the old docs/local-faults.md, which points to them) land on a file and a heading.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { LOCAL_KINDS, localRefusal } from '../src/faults/registry.js'
import { validatePaths } from '../src/index.js'
import { AWS_CHAOS_ACTIONS } from '../src/manifest/kinds/aws-chaos.js'
import { AZURE_CHAOS_ACTIONS } from '../src/manifest/kinds/azure-chaos.js'
import { BLOCK_CHAOS_ACTIONS } from '../src/manifest/kinds/block-chaos.js'
import { DNS_CHAOS_ACTIONS } from '../src/manifest/kinds/dns-chaos.js'
import { GCP_CHAOS_ACTIONS } from '../src/manifest/kinds/gcp-chaos.js'
import { IO_CHAOS_ACTIONS } from '../src/manifest/kinds/io-chaos.js'
import { JVM_CHAOS_ACTIONS } from '../src/manifest/kinds/jvm-chaos.js'
import { NETWORK_CHAOS_ACTIONS } from '../src/manifest/kinds/network-chaos.js'
import { POD_CHAOS_ACTIONS } from '../src/manifest/kinds/pod-chaos.js'
import { CHAOS_MESH_KINDS } from '../src/manifest/registry.js'

const ROOT = resolve(import.meta.dirname, '..')
const FAULTS = join(ROOT, 'docs/faults')
const INDEX = join(FAULTS, 'README.md')

/** The kinds whose `spec.action` is an enum, and its values: each must be named in the kind's row. */
const ACTIONS: Record<string, readonly string[]> = {
  PodChaos: POD_CHAOS_ACTIONS, NetworkChaos: NETWORK_CHAOS_ACTIONS, DNSChaos: DNS_CHAOS_ACTIONS, IOChaos: IO_CHAOS_ACTIONS,
  JVMChaos: JVM_CHAOS_ACTIONS, BlockChaos: BLOCK_CHAOS_ACTIONS, AWSChaos: AWS_CHAOS_ACTIONS, GCPChaos: GCP_CHAOS_ACTIONS,
  AzureChaos: AZURE_CHAOS_ACTIONS,
}

/** `HTTPChaos` → `http-chaos`, `PodChaos` → `pod-chaos`: the name of the kind's page. */
export function kebab(kind: string): string {
  return kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').toLowerCase()
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
}

interface YamlBlock {
  text: string
  /** The examples/ file the block shows: the link on the last line before it, resolved; undefined when none. */
  file?: string
  line: number
}

/** The ```yaml blocks of a Markdown page, each with the example file it names (the link on the line before it). */
export function yamlBlocks(markdown: string, page: string): YamlBlock[] {
  const lines = markdown.split('\n')
  const blocks: YamlBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```yaml') continue
    const end = lines.indexOf('```', i + 1)
    if (end < 0) throw new Error(`${page}:${i + 1}: a yaml block that never ends`)
    let before = i - 1
    while (before >= 0 && lines[before]!.trim() === '') before--
    const link = before >= 0 ? /\]\(([^)#]*examples\/[^)#]+\.ya?ml)\)/.exec(lines[before]!) : null
    blocks.push({ text: lines.slice(i + 1, end).join('\n') + '\n', file: link ? resolve(dirname(page), link[1]!) : undefined, line: i + 1 })
    i = end
  }
  return blocks
}

/** The rows of the Markdown tables of a page, as cells. */
function tableRows(markdown: string): string[][] {
  return markdown.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(1, -1).split(' | ').map((c) => c.trim()))
}

/** The local links of a page ([text](target)), outside code blocks. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t))
}

function headings(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '')
  return [...prose.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!))
}

const pages = readdirSync(FAULTS).filter((f) => f.endsWith('.md')).map((f) => join(FAULTS, f))
const read = (file: string) => readFileSync(file, 'utf8')

/** Each label pair a Chaos Mesh object selects pods by (its selector and its target's). */
function selectedLabels(spec: Record<string, unknown>): [string, string][] {
  const selectors = [spec.selector, (spec.target as { selector?: unknown } | undefined)?.selector] as ({ labelSelectors?: Record<string, string> } | undefined)[]
  return selectors.flatMap((s) => Object.entries(s?.labelSelectors ?? {}))
}

/** The label sets of the pods of an App file's services. */
function podLabels(appFile: string): Record<string, string>[] {
  const app = parse(read(appFile)) as { spec: { services: { labels?: Record<string, string> }[] } }
  return app.spec.services.map((s) => s.labels ?? {})
}

/** The demo app an example is written for: the first word of its name (`shop-pod-kill.yaml` → demo/shop/app.yaml). */
const demoAppOf = (example: string) => join(ROOT, 'demo', basename(example).split('-')[0]!, 'app.yaml')

describe('docs/faults: a page per fault kind', () => {
  const index = read(INDEX)
  const rows = tableRows(index)
  const rowOf = (kind: string) => rows.find((r) => r[0] === `\`${kind}\``)

  it('reads the pages as meant (the extraction works)', () => {
    expect(kebab('HTTPChaos')).toBe('http-chaos')
    expect(kebab('IOChaos')).toBe('io-chaos')
    expect(kebab('PodChaos')).toBe('pod-chaos')
    expect(slug("Faults inside the pod's process: the fault library")).toBe('faults-inside-the-pods-process-the-fault-library')
    expect(slug('Beyond Chaos Mesh: `chaoscope.dev/percent`')).toBe('beyond-chaos-mesh-chaoscopedevpercent')
    const page = join(FAULTS, 'x.md')
    const blocks = yamlBlocks('[examples/a.yaml](../../examples/a.yaml):\n\n```yaml\nkind: A\n```\n\n```yaml\nb: 1\n```\n', page)
    expect(blocks).toEqual([{ text: 'kind: A\n', file: join(ROOT, 'examples/a.yaml'), line: 3 }, { text: 'b: 1\n', file: undefined, line: 7 }])
    expect(LOCAL_KINDS.length).toBeGreaterThanOrEqual(7)
  })

  it('every kind the local runtime injects has its page, linked from the index', () => {
    const linked = links(index)
    for (const kind of LOCAL_KINDS) {
      const page = `${kebab(kind)}.md`
      expect(existsSync(join(FAULTS, page)), `docs/faults/${page}`).toBe(true)
      expect(rowOf(kind)?.[3], `the index's row of ${kind}`).toContain(`](${page})`)
      expect(linked, `docs/faults/README.md links ${page}`).toContain(page)
    }
  })

  it('every Chaos Mesh kind is a row of the index, with its actions; a kind the local runtime refuses says so, with its code', () => {
    for (const kind of CHAOS_MESH_KINDS) {
      const row = rowOf(kind)
      expect(row, `a row for ${kind} in docs/faults/README.md`).toBeDefined()
      for (const action of ACTIONS[kind] ?? []) expect(row![1], `${kind}'s actions`).toContain(`\`${action}\``)
      const refusal = localRefusal(kind)
      if (refusal) expect(row!.slice(2).join(' | '), `${kind} is refused locally`).toMatch(new RegExp(`Kubernetes only.*\`${refusal.code}\``))
      else expect(row![2], `${kind} runs locally`).not.toMatch(/Kubernetes only/)
    }
  })

  it('each locally run kind\'s page shows an example of its kind, with the commands to run it on its demo app', () => {
    for (const kind of LOCAL_KINDS) {
      const page = join(FAULTS, `${kebab(kind)}.md`)
      const text = read(page)
      const examples = yamlBlocks(text, page).filter((b) => b.file)
      expect(examples.length, `${relative(ROOT, page)} shows an example file`).toBeGreaterThan(0)
      for (const b of examples) {
        expect(parse(b.text).kind, `${relative(ROOT, page)}:${b.line}`).toBe(kind)
        expect(text).toContain(`chaoscope up -f ${relative(ROOT, demoAppOf(b.file!))} --detach`)
        expect(text).toContain(`chaoscope apply -f ${relative(ROOT, b.file!)}`)
      }
    }
  })

  it('every example a page shows is its file under examples/, byte for byte; a whole Chaos Mesh object names its file', () => {
    for (const page of pages) {
      for (const b of yamlBlocks(read(page), page)) {
        const where = `${relative(ROOT, page)}:${b.line}`
        if (!b.file) {
          expect(b.text, `${where}: a Chaos Mesh object without the examples/ file it comes from`).not.toMatch(/^apiVersion: chaos-mesh\.org\//m)
          continue
        }
        expect(relative(ROOT, b.file), where).toMatch(/^examples\//)
        expect(existsSync(b.file), `${where}: ${relative(ROOT, b.file)} exists`).toBe(true)
        expect(b.text, `${where} is ${relative(ROOT, b.file)}`).toBe(read(b.file))
      }
    }
  })

  it('every example shown validates with no issue and selects labels its demo app\'s pods carry', async () => {
    const files = [...new Set(pages.flatMap((p) => yamlBlocks(read(p), p)).flatMap((b) => (b.file ? [b.file] : [])))]
    expect(files.length).toBeGreaterThanOrEqual(LOCAL_KINDS.length)
    for (const file of files) {
      const name = relative(ROOT, file)
      const result = await validatePaths([file])
      expect(result.issues, name).toEqual([])
      expect(result.resources.length, `${name} holds one experiment`).toBe(1)
      const app = demoAppOf(file)
      expect(existsSync(app), `${name} is written for ${relative(ROOT, app)}`).toBe(true)
      const pods = podLabels(app)
      const selected = selectedLabels(result.resources[0]!.spec)
      expect(selected.length, `${name} selects by labels`).toBeGreaterThan(0)
      for (const [k, v] of selected) expect(pods.some((labels) => labels[k] === v), `${name}: a pod of ${relative(ROOT, app)} has ${k}: ${v}`).toBe(true)
    }
  })

  it('the links of docs/faults/*.md and docs/local-faults.md land on a file, and on a heading when they name one', () => {
    const problems: string[] = []
    for (const page of [...pages, join(ROOT, 'docs/local-faults.md')]) {
      for (const target of links(read(page))) {
        const [path, anchor] = target.split('#') as [string, string | undefined]
        const file = path === '' ? page : resolve(dirname(page), path)
        if (!existsSync(file)) problems.push(`${relative(ROOT, page)}: ${target}: no such file`)
        else if (anchor && file.endsWith('.md') && !headings(read(file)).includes(anchor)) problems.push(`${relative(ROOT, page)}: ${target}: no such heading`)
      }
    }
    expect(problems).toEqual([])
  })
})
