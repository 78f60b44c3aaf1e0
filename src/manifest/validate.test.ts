/** Reading and dispatch: YAML problems, document shapes, kinds and versions, and PodChaos's rules. */
import { describe, expect, it } from 'vitest'
import { invalidFixture, short } from '../../test/issues.js'
import { validateText } from './validate.js'

describe('invalid files report every problem at its position', () => {
  const cases: Record<string, string[]> = {
    'yaml-duplicate-key.yaml': ['8:3 spec.mode: duplicate key "mode", first defined at line 7, column 3 [SPEC_DUPLICATE_KEY]'],
    'yaml-tab-indent.yaml': ['4:1 tabs are not allowed as indentation [SPEC_TAB_INDENT]'],
    'yaml-invalid-utf8.yaml': ['4:14 invalid UTF-8 byte 0xff [SPEC_INVALID_UTF8]'],
    'yaml-alias-bomb.yaml': ['4:36 aliases expand to more than 10000 nodes [SPEC_ALIAS_LIMIT]'],
    'document-not-an-object.yaml': ['1:1 document is a list, not an object [SPEC_NOT_AN_OBJECT]'],
    'kind-misspelled.yaml': ['2:7 kind: unknown kind "NetworkChaoss" in chaos-mesh.org [SPEC_UNKNOWN_KIND]'],
    'kind-missing.yaml': ['1:1 kind: missing required field "kind" [SPEC_MISSING_KIND]'],
    'kind-internal.yaml': ['2:7 kind: PodNetworkChaos is created by Chaos Mesh\'s controller, not written by users [SPEC_INTERNAL_KIND]'],
    'version-unknown.yaml': ['1:13 apiVersion: unknown version "v1beta1" of chaos-mesh.org [SPEC_UNSUPPORTED_VERSION]'],
    'podchaos-mode-fixed-without-value.yaml': ['5:1 spec.value: mode fixed needs spec.value (the number of pods) [SPEC_MODE_VALUE]'],
    'podchaos-percent-out-of-range.yaml': ['8:10 spec.value: value 150 is out of range for mode fixed-percent: must be in (0, 100] [SPEC_MODE_VALUE]'],
    'podchaos-container-kill-without-names.yaml': ['5:1 spec.containerNames: action container-kill needs spec.containerNames [SPEC_REQUIRED]'],
    'podchaos-many-problems.yaml': [
      '4:9 metadata.name: "Bad_Name" is not a valid name [SPEC_INVALID_NAME]',
      '5:1 spec.selector: missing required field "selector" [SPEC_REQUIRED]',
      '6:11 spec.action: expected one of "pod-kill", "pod-failure", "container-kill", got "pod-kil" [SPEC_ENUM]',
      '8:16 spec.gracePeriod: expected an integer, got "5" [SPEC_TYPE]',
      '9:3 spec.selectr: unknown field "selectr" [SPEC_UNKNOWN_FIELD]',
      '11:13 spec.duration: expected a duration like "100ms", got "fast" [SPEC_INVALID_DURATION]',
    ],
    'podchaos-expression-selector.yaml': [
      '10:9 spec.selector.expressionSelectors[0].values: operator In needs at least one value [SPEC_REQUIRED]',
      '13:19 spec.selector.expressionSelectors[1].operator: expected one of "In", "NotIn", "Exists", "DoesNotExist", got "Matches" [SPEC_ENUM]',
      '15:25 spec.selector.podPhaseSelectors[0]: expected one of "Pending", "Running", "Succeeded", "Failed", "Unknown", got "Runing" [SPEC_ENUM]',
    ],
    'app-unknown-dependency.yaml': [
      '10:22 spec.services[0].dependencies[0]: no service or proxy named "catalog" in this app [SPEC_UNKNOWN_SERVICE]',
      '11:13 spec.services[1].name: service "frontend" is also defined at services[0] [SPEC_DUPLICATE_NAME]',
      '12:17 spec.services[1].external: expected a loopback address like "127.0.0.1:6379", got "10.0.0.5:5432" [SPEC_INVALID_VALUE]',
    ],
    'app-proxies-problems.yaml': [
      '11:29 spec.services[0].dependencies[1]: no service or proxy named "pg" in this app [SPEC_UNKNOWN_SERVICE]',
      '14:15 spec.proxies[0].listen: port 26379 is also used by services[0].hostPort [SPEC_DUPLICATE_NAME]',
      '16:13 spec.proxies[1].name: "web" is also the name of services[0] [SPEC_DUPLICATE_NAME]',
      '17:15 spec.proxies[1].listen: expected host:port like "127.0.0.1:26379", got "10.0.0.1:80" [SPEC_INVALID_VALUE]',
      '18:17 spec.proxies[1].upstream: expected a loopback address like "127.0.0.1:6379", got "db.example.com:5432" [SPEC_INVALID_VALUE]',
      '19:13 spec.proxies[2].name: proxy "redis" is also defined at proxies[0] [SPEC_DUPLICATE_NAME]',
    ],
    'app-empty.yaml': ['5:1 spec.services: an App needs at least one service or proxy [SPEC_REQUIRED]'],
    'duration-longer-than-go-holds.yaml': [
      '12:13 spec.duration: expected a duration of at most 2562047h47m16.854775807s, got "2562048h" [SPEC_INVALID_DURATION]',
      '25:14 spec.delay.latency: expected a duration of at most 2562047h47m16.854775807s, got "9223372037s" [SPEC_INVALID_DURATION]',
      '26:13 spec.delay.jitter: expected a duration of at most 2562047h47m16.854775807s, got "9223372036854775808ns" [SPEC_INVALID_DURATION]',
      '40:10 spec.delay: expected a duration of at most 2562047h47m16.854775807s, got "99999999999999999999ns" [SPEC_INVALID_DURATION]',
      '51:17 spec.templates[0].deadline: expected a duration of at most 2562047h47m16.854775807s, got "153722868m" [SPEC_INVALID_DURATION]',
      '58:13 spec.schedule: "@every 2562048h" is not a cron schedule: "2562048h" after @every is longer than the longest duration, 2562047h47m16.854775807s [SPEC_INVALID_CRON]',
    ],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('reports a syntax error and still validates the other documents of the file', () => {
    const r = validateText('kind: PodChaos\napiVersion: chaos-mesh.org/v1alpha1\nmetadata: {name: [\n---\napiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: ok}\nspec: {action: pod-kill, mode: one, selector: {}}\n', 'two.yaml')
    expect(r.issues.length).toBeGreaterThan(0)
    expect(r.issues.every((i) => i.code === 'SPEC_YAML_SYNTAX')).toBe(true)
    expect(r.issues[0]!.line).toBe(4) // where the unclosed flow mapping is found to end
    expect(r.resources.map((x) => x.metadata.name)).toEqual(['ok'])
  })

  it('a duplicate key names the key and where it first occurs, in YAML and JSON, at any depth', () => {
    const yaml = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k, labels: {a: x, b: y, a: z}}\nspec:\n  action: pod-kill\n  mode: one\n  selector:\n    pods:\n      shop: [a]\n      shop: [b]\n', 'd.yaml')
    expect(yaml.issues.map(short)).toEqual([
      '3:42 metadata.labels.a: duplicate key "a", first defined at line 3, column 30 [SPEC_DUPLICATE_KEY]',
      '10:7 spec.selector.pods.shop: duplicate key "shop", first defined at line 9, column 7 [SPEC_DUPLICATE_KEY]',
    ])
    const json = validateText('{"title": "t",\n "method": [{"type": "action",\n   "type": "probe"}]}', 'd.json')
    const dup = json.issues.filter((i) => i.code === 'SPEC_DUPLICATE_KEY')
    expect(dup.map(short)).toEqual(['3:4 method[0].type: duplicate key "type", first defined at line 2, column 14 [SPEC_DUPLICATE_KEY]'])
    expect(dup[0]!.hint).toBe('only the last value is kept; remove or rename one of the keys')
  })

  it('positions stay true after a broken token that spans lines', () => {
    const text = '{\n  "a": {\n    "fr     "type": "env",\n      "key": 1\n    }\n  },\n  "c": {\n    "b": 1,\n    "b": 2\n  }\n}\n'
    const r = validateText(text, 'broken.json')
    expect(r.issues.filter((i) => i.line > 5).map(short)).toEqual([
      '6:4 unexpected scalar token [SPEC_YAML_SYNTAX]',
      '9:5 duplicate key "b", first defined at line 8, column 5 [SPEC_DUPLICATE_KEY]',
      '11:1 unexpected flow-map-end token in YAML stream: "}" [SPEC_YAML_SYNTAX]',
    ])
  })

  it('hints at the closest kind, field and enum value', () => {
    const r = validateText(invalidYaml('kind: PodChaos', 'spec:\n  action: pod-kil\n  mode: one\n  selectr: {}\n'))
    expect(r.issues.map((i) => i.hint)).toEqual([undefined, 'did you mean "pod-kill"?', 'did you mean "selector"?'])
  })
})

describe('documents of other API groups', () => {
  it('lists them as skipped, not errors', () => {
    const r = validateText('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n')
    expect(r.issues).toEqual([])
    expect(r.skipped.map((s) => `${s.line} ${s.kind} ${s.name}`)).toEqual(['1 Deployment web', '6 Service web'])
  })

  it('does not skip a misspelled chaos-mesh group', () => {
    const r = validateText('apiVersion: chaos-mseh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: x}\nspec: {}\n')
    expect(r.issues.map((i) => `${i.code} ${i.hint}`)).toEqual(['SPEC_UNSUPPORTED_VERSION did you mean "chaos-mesh.org"? (chaos-mesh.org/v1alpha1)'])
  })

  it('names a document that is neither kind of file', () => {
    const r = validateText('foo: 1\n', 'x.yaml')
    expect(r.issues.map((i) => i.code)).toEqual(['SPEC_UNRECOGNIZED_DOCUMENT'])
  })
})

describe('defaults', () => {
  it('fills the selector namespace from metadata, and metadata.namespace with "default"', () => {
    const r = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k, namespace: shop}\nspec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}\n---\napiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k2}\nspec: {action: pod-kill, mode: one, selector: {}}\n')
    expect(r.issues).toEqual([])
    expect(r.resources.map((x) => [x.metadata.namespace, (x.spec.selector as { namespaces: string[] }).namespaces])).toEqual([
      ['shop', ['shop']],
      ['default', ['default']],
    ])
  })

  it('gives app services their identity labels and namespace', () => {
    const r = validateText('apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: a}\nspec:\n  services:\n    - name: web\n      command: [node, web.js]\n      port: 8080\n      protocol: http\n      labels: {tier: front}\n')
    expect(r.issues).toEqual([])
    const svc = (r.resources[0]!.spec.services as Record<string, unknown>[])[0]!
    expect(svc).toMatchObject({
      namespace: 'default', replicas: 1, restartPolicy: 'Always',
      labels: { app: 'web', 'app.kubernetes.io/component': 'web', tier: 'front' },
      readinessProbe: { tcpSocket: {} },
    })
  })

  it('gives every service that runs on a port a tcp readiness probe, http or tcp; none without a port', () => {
    const r = validateText('apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: a}\nspec:\n  services:\n    - {name: db, command: [redis-server], port: 6379}\n    - {name: worker, command: [node, w.js]}\n    - {name: web, command: [node, web.js], port: 80, readinessProbe: {httpGet: {path: /healthz}}}\n')
    expect(r.issues).toEqual([])
    const [db, worker, web] = r.resources[0]!.spec.services as Record<string, unknown>[]
    expect(db!.readinessProbe).toMatchObject({ tcpSocket: {} })
    expect(worker!.readinessProbe).toBeUndefined()
    expect(web!.readinessProbe).toMatchObject({ httpGet: { path: '/healthz' } })
  })
})

describe('App pods like containers', () => {
  const app = (svc: string) => `apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: a}\nspec:\n  services:\n    - ${svc}\n`
  it('takes securityContext, lifecycle, envFrom and network', () => {
    const r = validateText(app('{name: pg, command: [postgres], port: 5432, network: namespace, securityContext: {runAsUser: postgres, runAsGroup: 999}, lifecycle: {stopSignal: SIGINT, preStop: {exec: {command: [pg_ctl, stop]}}}, envFrom: [{file: pg.env, prefix: PG_}]}'))
    expect(r.issues).toEqual([])
    expect((r.resources[0]!.spec.services as Record<string, unknown>[])[0]).toMatchObject({ network: 'namespace', envFrom: [{ file: 'pg.env', prefix: 'PG_', optional: false }] })
  })
  it('refuses what cannot work, with the field', () => {
    const codes = (svc: string) => validateText(app(svc)).issues.map((i) => `${i.code} ${i.path}`)
    expect(codes('{name: a, command: [x], lifecycle: {stopSignal: SIGSTOP}}')).toEqual(['SPEC_ENUM spec.services[0].lifecycle.stopSignal'])
    expect(codes('{name: a, command: [x], securityContext: {runAsUser: -1}}')).toEqual(['SPEC_INVALID_VALUE spec.services[0].securityContext.runAsUser'])
    expect(codes('{name: a, command: [x], network: namespace}')).toEqual(['SPEC_REQUIRED spec.services[0].network'])
    expect(codes('{name: a, external: "127.0.0.1:6379", securityContext: {runAsUser: 1}}')).toEqual(['SPEC_INVALID_VALUE spec.services[0].external'])
  })
})

function invalidYaml(kindLine: string, spec: string): string {
  return `apiVersion: chaos-mesh.org/v1alpha1\n${kindLine}\nmetadata:\n  name: x\n${spec}`
}
