/** `chaoscope validate` as a user runs it: the built binary, its output and its exit codes. */
import { spawnSync } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from '../issues.js'
import { CHAOS_MESH_EXAMPLES } from '../conformance.js'

const BIN = join(import.meta.dirname, '../../bin/chaoscope.js')

function chaoscope(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: join(import.meta.dirname, '../..') })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('chaoscope validate', () => {
  it('prints every problem with file:line:col, field path, code and hint, and exits 2', () => {
    const r = chaoscope(['validate', '-f', 'test/fixtures/specs/invalid/podchaos-many-problems.yaml'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatchInlineSnapshot(`
      "test/fixtures/specs/invalid/podchaos-many-problems.yaml:4:9  metadata.name: "Bad_Name" is not a valid name  [SPEC_INVALID_NAME]
          hint: use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (at most 253 characters)
      test/fixtures/specs/invalid/podchaos-many-problems.yaml:5:1  spec.selector: missing required field "selector"  [SPEC_REQUIRED]
      test/fixtures/specs/invalid/podchaos-many-problems.yaml:6:11  spec.action: expected one of "pod-kill", "pod-failure", "container-kill", got "pod-kil"  [SPEC_ENUM]
          hint: did you mean "pod-kill"?
      test/fixtures/specs/invalid/podchaos-many-problems.yaml:8:16  spec.gracePeriod: expected an integer, got "5"  [SPEC_TYPE]
          hint: remove the quotes: 5
      test/fixtures/specs/invalid/podchaos-many-problems.yaml:9:3  spec.selectr: unknown field "selectr"  [SPEC_UNKNOWN_FIELD]
          hint: did you mean "selector"?
      test/fixtures/specs/invalid/podchaos-many-problems.yaml:11:13  spec.duration: expected a duration like "100ms", got "fast"  [SPEC_INVALID_DURATION]
          hint: units are ns, us, ms, s, m and h; combine them like "1m30s"
      invalid: 1 document(s) in 1 file(s): 0 valid, 0 skipped, 6 problem(s)
      "
    `)
  })

  it('exits 0 on a valid file and says so', () => {
    const r = chaoscope(['validate', '-f', join(CHAOS_MESH_EXAMPLES, 'pod-kill-example.yaml')])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('ok: 1 document(s) in 1 file(s): 1 valid, 0 skipped, 0 problem(s)\n')
    expect(r.stderr).toBe('')
  })

  it('reads stdin with -f - and prints the defaulted resource with --show-defaults', () => {
    const r = chaoscope(['validate', '-f', '-', '--show-defaults'], 'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k, namespace: shop}\nspec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}\n')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatchInlineSnapshot(`
      "apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata:
        name: k
        namespace: shop
      spec:
        action: pod-kill
        mode: one
        selector:
          labelSelectors:
            app: web
          namespaces:
            - shop
      "
    `)
  })

  it('gives the same problems as structured data with -o json', () => {
    const r = chaoscope(['validate', '-f', 'test/fixtures/specs/invalid/kind-misspelled.yaml', '-o', 'json'])
    expect(r.code).toBe(2)
    const out = JSON.parse(r.stdout) as { valid: boolean; issues: unknown[] }
    expect(out.valid).toBe(false)
    expect(out.issues).toEqual([{
      code: 'SPEC_UNKNOWN_KIND', file: 'test/fixtures/specs/invalid/kind-misspelled.yaml', line: 2, col: 7, path: 'kind',
      message: 'unknown kind "NetworkChaoss" in chaos-mesh.org', hint: 'did you mean "NetworkChaos"?',
    }])
  })

  it('walks directories, lists objects of other groups as skipped, and reports unreadable paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-'))
    writeFileSync(join(dir, 'deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n')
    writeFileSync(join(dir, 'notes.txt'), 'not read')
    const ok = chaoscope(['validate', '-f', dir])
    expect(ok.code).toBe(0)
    expect(ok.stderr).toContain('skipped apps/v1 Deployment web')
    const missing = chaoscope(['validate', '-f', join(dir, 'nope.yaml')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope.yaml:1:1  no such file or directory  [SPEC_FILE_NOT_FOUND]')
  })

  it('refuses a file over the size limit without reading it', () => {
    const r = chaoscope(['validate', '-f', join(FIXTURES, 'specs/invalid/podchaos-many-problems.yaml'), '--max-file-size', '100'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/:1:1 {2}file is \d+ bytes, over the limit of 100 bytes {2}\[SPEC_FILE_TOO_LARGE\]/)
  })

  it('treats a missing -f and bad options as usage errors (exit 2), never with a stack trace', () => {
    const none = chaoscope(['validate'])
    expect(none.code).toBe(2)
    expect(none.stderr).toBe('error: validate needs at least one -f FILE|DIR|-  [CLI_USAGE]\n    hint: chaoscope validate -f experiment.yaml\n')
    expect(none.stdout).toBe('')
    const bad = chaoscope(['validate', '-f', 'x.yaml', '-o', 'xml'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/)
    const unknown = chaoscope(['frobnicate'])
    expect(unknown.code).toBe(2)
  })
})
