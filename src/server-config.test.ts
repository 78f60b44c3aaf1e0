/**
 * The server config file: a good file read as written (YAML or JSON), and each mistake refused at its line and
 * column with the field named and a hint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ChaosError } from './errors.js'
import { corsOriginProblem, loadServerConfig, namespaceProblem, parseServerConfig } from './server-config.js'

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-server-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function file(text: string | Buffer, ext = 'yaml'): string {
  const p = join(dir, `config-${n++}.${ext}`)
  writeFileSync(p, text)
  return p
}

/** The error loading `text` gives: its code, message lines and hint. */
function refusal(text: string): { code: string; lines: string[]; hint: string | undefined; file: string } {
  const f = file(text)
  try {
    loadServerConfig(f)
  } catch (e) {
    const err = e as ChaosError
    return { code: err.code, lines: err.message.split('\n').map((l) => l.replace(f, 'FILE')), hint: err.hint, file: f }
  }
  throw new Error('the config was accepted')
}

describe('a good file', () => {
  const all = {
    listen: '0.0.0.0:4000',
    auth: 'token',
    allowedNamespaces: ['shop', 'qa-1'],
    protectedNamespaces: ['kube-system'],
    allowedHosts: ['chaos.internal', '*', '10.0.0.5', '[::1]'],
    corsOrigins: ['https://dash.example:8443', 'http://localhost:3000'],
    target: 'kubernetes',
    kubeconfig: '/etc/chaoscope/kubeconfig',
    context: 'staging',
  }

  it('reads every field from YAML, camelCase as the flags\' long names', () => {
    const f = file(`# chaoscope server --config
listen: 0.0.0.0:4000
auth: token
allowedNamespaces: [shop, qa-1]
protectedNamespaces:
  - kube-system
allowedHosts: [chaos.internal, '*', 10.0.0.5, '[::1]']
corsOrigins:
  - https://dash.example:8443
  - http://localhost:3000
target: kubernetes
kubeconfig: /etc/chaoscope/kubeconfig
context: staging
`)
    expect(loadServerConfig(f)).toEqual(all)
  })

  it('reads JSON', () => {
    expect(loadServerConfig(file(JSON.stringify(all, null, 2), 'json'))).toEqual(all)
  })

  it('leaves out what the file does not set', () => {
    expect(loadServerConfig(file('auth: none\n'))).toEqual({ auth: 'none' })
    expect(loadServerConfig(file('listen: "[::1]:0"\n'))).toEqual({ listen: '[::1]:0' })
  })

  it('reads an empty file, or one of comments, as no settings', () => {
    expect(loadServerConfig(file(''))).toEqual({})
    expect(loadServerConfig(file('# nothing yet\n'))).toEqual({})
  })
})

describe('each mistake, at its line and column', () => {
  it.each([
    ['an unknown field, with the closest known', 'auth: token\nallowed-namespaces: [shop]\n', 'FILE:2:1  allowed-namespaces: unknown field "allowed-namespaces"', 'did you mean "allowedNamespaces"?'],
    ['a snake_case field', 'cors_origins: []\n', 'FILE:1:1  cors_origins: unknown field "cors_origins"', 'did you mean "corsOrigins"?'],
    ['an unknown field unlike any', 'color: blue\n', 'FILE:1:1  color: unknown field "color"', 'the fields are listen, auth, allowedNamespaces, protectedNamespaces, allowedHosts, corsOrigins, target, kubeconfig, context'],
    ['a target that is not local or kubernetes', 'target: k8s\n', 'FILE:1:9  target: expected "local" or "kubernetes", got string "k8s"', expect.stringContaining('target: kubernetes')],
    ['a context without target: kubernetes', 'context: staging\n', 'FILE:1:1  context: is read only with target: kubernetes', 'add target: kubernetes, or remove it'],
    ['listen of the wrong type', 'listen: 4000\n', 'FILE:1:9  listen: expected HOST:PORT, got number 4000', 'e.g. listen: 127.0.0.1:4000'],
    ['a listen without a host', 'auth: token\nlisten: ":4000"\n', 'FILE:2:9  listen: ":4000": the host is missing', expect.stringContaining('127.0.0.1:4000')],
    ['a listen with a bad port', 'listen: 127.0.0.1:99999\n', 'FILE:1:9  listen: "127.0.0.1:99999": the port "99999" is not a number from 0 to 65535', expect.stringContaining('--listen HOST:PORT')],
    ['auth not token or none', 'auth: tokens\n', 'FILE:1:7  auth: expected "token" or "none", got string "tokens"', expect.stringContaining('loopback')],
    ['auth of the wrong type', 'auth: false\n', 'FILE:1:7  auth: expected "token" or "none", got boolean false', expect.any(String)],
    ['a list given as one string', 'allowedNamespaces: shop\n', 'FILE:1:20  allowedNamespaces: expected a list, got string "shop"', expect.stringContaining('[shop, qa]')],
    ['a list left empty', 'protectedNamespaces:\n', 'FILE:1:21  protectedNamespaces: expected a list, got nothing', expect.any(String)],
    ['a list item not a string', 'protectedNamespaces:\n  - kube-system\n  - 42\n', 'FILE:3:5  protectedNamespaces[1]: expected a string, got number 42', expect.any(String)],
    ['a namespace that is not a Kubernetes name', 'allowedNamespaces: [shop, Bad_NS]\n', 'FILE:1:27  allowedNamespaces[1]: "Bad_NS" is not a namespace name: lowercase letters, digits and \'-\', starting and ending with a letter or digit', expect.stringContaining('namespace names')],
    ['a namespace too long', `protectedNamespaces: [${'a'.repeat(64)}]\n`, `FILE:1:23  protectedNamespaces[0]: "${'a'.repeat(64)}" is longer than 63 characters`, expect.any(String)],
    ['no namespace allowed at all', 'allowedNamespaces: []\n', 'FILE:1:20  allowedNamespaces: an empty list allows no namespace at all', expect.stringContaining('leave it out to allow every namespace')],
    ['a corsOrigin with a path', 'corsOrigins:\n  - https://dash.example/app\n', 'FILE:2:5  corsOrigins[0]: "https://dash.example/app" is not an origin scheme://host[:port]: it has a path, query or fragment (browsers send the origin without them)', expect.stringContaining("'https://dash.example:8443'")],
    ['a corsOrigin without a scheme', 'corsOrigins: [dash.example]\n', 'FILE:1:15  corsOrigins[0]: "dash.example" is not an origin scheme://host[:port]', expect.any(String)],
    ['an allowedHost that is a URL', 'allowedHosts: ["http://chaos.internal"]\n', 'FILE:1:16  allowedHosts[0]: "http://chaos.internal" is not a host name (no scheme, port or path: the name clients put in Host)', expect.any(String)],
    ['a file that is a list', '- listen: 127.0.0.1:4000\n', 'FILE:1:1  expected a mapping of settings, got a list', expect.stringContaining('one setting a line')],
    ['a file that is a scalar', 'listen\n', 'FILE:1:1  expected a mapping of settings, got "listen"', expect.any(String)],
    ['YAML syntax', 'auth: token\nallowedHosts: [a, b\n', 'FILE:3:1  flow sequence in block collection must be sufficiently indented and end with a ]', 'fix the YAML (or JSON) at the position shown'],
    ['JSON syntax', '{"auth": "token",\n "listen": "127.0.0.1:4000"\n', expect.stringMatching(/^FILE:3:1 {2}\S/), 'fix the YAML (or JSON) at the position shown'],
    ['a duplicate key', 'auth: token\nauth: none\n', 'FILE:2:1  auth: duplicate key "auth", first defined at line 1, column 1', expect.stringContaining('only the last value is kept')],
    ['tabs for indentation', 'protectedNamespaces:\n\t- a\n', 'FILE:2:1  tabs are not allowed as indentation', 'indent with spaces'],
    ['two documents', 'auth: token\n---\nauth: none\n', 'FILE:3:1  a config file is one document', expect.stringContaining('one mapping')],
  ])('%s', (_what, text, line, hint) => {
    const r = refusal(text)
    expect(r.code).toBe('CONFIG_INVALID')
    expect(r.lines).toEqual([line])
    expect(r.hint).toEqual(hint)
  })

  it('names every problem at once, in reading order, with the first one\'s hint', () => {
    const r = refusal('corsOrigins: [ftp://x]\nauth: maybe\nlisten: nowhere\nallowedNamespaces: [UPPER]\n')
    expect(r.lines).toEqual([
      'FILE:1:15  corsOrigins[0]: "ftp://x" is not an origin scheme://host[:port]: the scheme is not http or https',
      'FILE:2:7  auth: expected "token" or "none", got string "maybe"',
      'FILE:3:9  listen: "nowhere": the port is missing',
      expect.stringMatching(/^FILE:4:21 {2}allowedNamespaces\[0\]: "UPPER" is not a namespace name/),
    ])
    expect(r.hint).toContain('origins as browsers send them')
  })

  it('bounds what aliases expand to', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n')
    const r = refusal(`${laughs}\n`)
    expect(r.code).toBe('CONFIG_INVALID')
    expect(r.lines).toEqual([expect.stringMatching(/^FILE:\d+:\d+ {2}aliases expand to more than 10000 nodes$/)])
  })

  it('refuses a missing file with SPEC_FILE_NOT_FOUND, a directory and a non-UTF-8 file with CONFIG_INVALID', () => {
    expect(() => loadServerConfig(join(dir, 'nope.yaml'))).toThrow(expect.objectContaining({ code: 'SPEC_FILE_NOT_FOUND', message: `${join(dir, 'nope.yaml')}: no such file`, hint: 'check the path given to --config' }))
    expect(() => loadServerConfig(dir)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: `${dir}: not a file` }))
    const bin = file(Buffer.from([0x61, 0x75, 0x74, 0x68, 0x3a, 0x20, 0xff, 0x0a]))
    expect(() => loadServerConfig(bin)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: `${bin}:1:7  invalid UTF-8 byte 0xff`, hint: 'save the file as UTF-8' }))
  })

  it('refuses a file over 1 MiB without parsing it', () => {
    const big = file(`# ${'x'.repeat(1024 * 1024)}\n`)
    expect(() => loadServerConfig(big)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('over the limit of 1048576 bytes') }))
  })
})

describe('the checks the flags share', () => {
  it('namespaceProblem', () => {
    expect(['default', 'kube-system', 'a', 'a1-b2', 'a'.repeat(63)].map(namespaceProblem)).toEqual([undefined, undefined, undefined, undefined, undefined])
    for (const bad of ['', 'Shop', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]) expect(namespaceProblem(bad), bad).toBeDefined()
  })

  it('corsOriginProblem', () => {
    expect(['https://dash.example', 'https://dash.example:8443', 'http://127.0.0.1:3000', 'http://[::1]:3000'].map(corsOriginProblem)).toEqual([undefined, undefined, undefined, undefined])
    for (const bad of ['*', 'null', 'dash.example', 'https://dash.example/', 'https://dash.example/x', 'https://dash.example?x', 'https://u:p@dash.example', 'file:///x', 'ws://x']) expect(corsOriginProblem(bad), bad).toBeDefined()
  })

  it('parseServerConfig names the text it was given', () => {
    expect(() => parseServerConfig('auth: x\n', '<flags>')).toThrow(expect.objectContaining({ message: '<flags>:1:7  auth: expected "token" or "none", got string "x"' }))
  })
})
