/** Workflow: the public examples validate, each webhook rule reports at the right place, embedded chaos gets its kind's defaults. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAOS_MESH_EXAMPLES, filesUnder } from '../../../test/conformance.js'
import { invalidFixture, short } from '../../../test/issues.js'
import { validatePaths, validateText } from '../validate.js'

describe('Chaos Mesh workflow examples validate', () => {
  for (const file of filesUnder(join(CHAOS_MESH_EXAMPLES, 'workflow'))) {
    it(file.slice(CHAOS_MESH_EXAMPLES.length + 1), () => {
      const r = validatePaths([file])
      expect(r.issues.map(short)).toEqual([])
      expect(r.resources.map((x) => x.kind)).toEqual(['Workflow'])
    })
  }
})

describe('invalid workflows', () => {
  const cases: Record<string, string[]> = {
    'workflow-entry-unknown.yaml': ['6:10 spec.entry: entry names template "start", which is not defined [SPEC_UNKNOWN_TEMPLATE]'],
    'workflow-child-unknown.yaml': ['12:11 spec.templates[0].children[1]: children[1] names template "pasue", which is not defined [SPEC_UNKNOWN_TEMPLATE]'],
    'workflow-duplicate-template-name.yaml': ['14:13 spec.templates[2].name: template name "pause" is already used by templates[1] [SPEC_DUPLICATE_NAME]'],
    'workflow-template-name-invalid.yaml': ['8:13 spec.templates[0].name: "The_Entry" is not a valid template name [SPEC_INVALID_NAME]'],
    'workflow-template-type-unknown.yaml': ['9:21 spec.templates[0].templateType: unknown template type "Sequence" [SPEC_ENUM]'],
    'workflow-chaos-template-without-its-spec.yaml': [
      '8:7 spec.templates[0].networkChaos: a NetworkChaos template needs networkChaos: the NetworkChaos spec [SPEC_REQUIRED]',
      '11:7 spec.templates[0].podChaos: a NetworkChaos template takes no podChaos [SPEC_INVALID_VALUE]',
    ],
    'workflow-serial-without-children.yaml': ['8:7 spec.templates[0].children: a Serial template needs children: the names of the templates it runs [SPEC_REQUIRED]'],
    'workflow-suspend-without-deadline.yaml': ['8:7 spec.templates[0].deadline: a Suspend template needs a deadline: how long to wait [SPEC_REQUIRED]'],
    'workflow-deadline-not-a-duration.yaml': ['10:17 spec.templates[0].deadline: expected a duration like "100ms", got "10 seconds" [SPEC_INVALID_DURATION]'],
    'workflow-task-without-container.yaml': ['10:7 spec.templates[0].task.container: a Task template needs task.container: the container to run [SPEC_REQUIRED]'],
    'workflow-branch-target-unknown.yaml': [
      '16:19 spec.templates[0].conditionalBranches[0].target: conditionalBranches[0].target names template "on-failure", which is not defined [SPEC_UNKNOWN_TEMPLATE]',
      '18:11 spec.templates[0].conditionalBranches[1].expression: a conditional branch needs an expression; without one it is never taken [SPEC_REQUIRED]',
    ],
    'workflow-chaos-with-duration.yaml': ['13:9 spec.templates[0].podChaos.duration: a chaos inside a Workflow takes no duration; the template\'s deadline says how long it runs [SPEC_INVALID_VALUE]'],
    'workflow-embedded-chaos-invalid.yaml': [
      '11:7 spec.templates[0].podChaos.value: mode fixed needs spec.value (the number of pods) [SPEC_MODE_VALUE]',
      '11:7 spec.templates[0].podChaos.containerNames: action container-kill needs spec.containerNames [SPEC_REQUIRED]',
    ],
    'workflow-status-check-bad-status-code.yaml': ['17:25 spec.templates[0].statusCheck.http.criteria.statusCode: "2xx" is neither a status code nor a range like "200-399" [SPEC_INVALID_VALUE]'],
    'workflow-schedule-template-invalid.yaml': [
      '12:19 spec.templates[0].schedule.schedule: "@every two seconds" is not a cron schedule: "two seconds" after @every is not a duration like "30s" or "1h30m" [SPEC_INVALID_CRON]',
      '13:15 spec.templates[0].schedule.type: "Workflow" is not a kind a schedule in a Workflow can create [SPEC_ENUM]',
    ],
    // the implementation guide's plan: every mistake shown at once, each with the Chaos Mesh form as its hint
    'workflow-guide-argo-entrypoint.yaml': [
      '8:1 spec.entry: missing required field "entry" [SPEC_REQUIRED]',
      '9:3 spec.entrypoint: "entrypoint" is Argo Workflows syntax, not Chaos Mesh\'s [SPEC_ARGO_WORKFLOW]',
      "23:9 spec.templates[0].networkChaos.duration: a chaos inside a Workflow takes no duration; the template's deadline says how long it runs [SPEC_INVALID_VALUE]",
    ],
    'workflow-argo-template-keys.yaml': [
      '10:7 spec.templates[0].container: "container" is Argo Workflows syntax, not Chaos Mesh\'s [SPEC_ARGO_WORKFLOW]',
      '13:7 spec.templates[0].inputs: "inputs" is Argo Workflows syntax, not Chaos Mesh\'s [SPEC_ARGO_WORKFLOW]',
    ],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('hints at the closest template name and type', () => {
    const hints = (f: string) => validatePaths([join(import.meta.dirname, '../../../test/fixtures/specs/invalid', f)]).issues.map((i) => i.hint)
    expect(hints('workflow-child-unknown.yaml')).toEqual(['did you mean "pause"?'])
    expect(hints('workflow-template-type-unknown.yaml')).toEqual([expect.stringContaining('use one of Serial, Parallel, Suspend, Task, Schedule, StatusCheck, AWSChaos')])
    expect(hints('workflow-argo-template-keys.yaml')[0]).toContain('templateType: Task and task: { container')
  })
})

const workflowYaml = (templates: string) =>
  `apiVersion: chaos-mesh.org/v1alpha1\nkind: Workflow\nmetadata: {name: wf, namespace: shop}\nspec:\n  entry: the-entry\n  templates:\n${templates}`

describe('per-template annotations', () => {
  const withAnnotations = (annotations: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata:
  name: wf
  annotations:
${annotations}
spec:
  entry: the-entry
  templates:
    - { name: the-entry, templateType: Serial, children: [ad-errors, pause] }
    - name: ad-errors
      templateType: HTTPChaos
      deadline: 20s
      httpChaos: { mode: all, selector: { labelSelectors: { app: ad } }, target: Response, port: 8080, replace: { code: 500 } }
    - { name: pause, templateType: Suspend, deadline: 5s }
`
  const issues = (annotations: string) => validateText(withAnnotations(annotations), 'wf.yaml').issues.map(short)

  it('takes chaoscope.dev/<chaos template>.percent with a share from 0 to 100', () => {
    expect(issues('    chaoscope.dev/ad-errors.percent: "10"\n    chaoscope.dev/other: "x"')).toEqual([])
  })

  it('refuses a template that is not a chaos template of the workflow, an unknown key and a bad share, at the annotation', () => {
    expect(issues('    chaoscope.dev/ad-error.percent: "10"')).toEqual(['6:5 metadata.annotations["chaoscope.dev/ad-error.percent"]: annotation chaoscope.dev/ad-error.percent names template "ad-error", which is not a chaos template of this workflow [SPEC_UNKNOWN_TEMPLATE]'])
    expect(issues('    chaoscope.dev/pause.percent: "10"')[0]).toContain('names template "pause", which is not a chaos template')
    expect(issues('    chaoscope.dev/ad-errors.share: "10"')[0]).toContain('chaoscope has no per-template annotation "share" [SPEC_INVALID_VALUE]')
    expect(issues('    chaoscope.dev/ad-errors.percent: "150"')[0]).toContain('expected a number from 0 to 100, got "150" [SPEC_INVALID_VALUE]')
  })

  it('refuses a share on a template whose kind acts on every target, and a bare chaoscope.dev/percent on the workflow', () => {
    const pod = withAnnotations('    chaoscope.dev/kill.percent: "10"\n    chaoscope.dev/percent: "10"').replace('children: [ad-errors, pause]', 'children: [ad-errors, kill, pause]')
      .replace('    - { name: pause,', '    - { name: kill, templateType: PodChaos, deadline: 5s, podChaos: { action: pod-kill, mode: one, selector: { labelSelectors: { app: ad } } } }\n    - { name: pause,')
    expect(validateText(pod, 'wf.yaml').issues.map(short)).toEqual([
      '6:5 metadata.annotations["chaoscope.dev/kill.percent"]: annotation chaoscope.dev/kill.percent: template "kill" is a PodChaos, which acts on every target it selects [SPEC_INVALID_VALUE]',
      '7:5 metadata.annotations["chaoscope.dev/percent"]: a workflow\'s chaos does not get its chaoscope.dev/percent [SPEC_INVALID_VALUE]',
    ])
  })

  it('checks a Workflow inside an Experiment against the Workflow\'s own annotations, at their lines', () => {
    const experiment = (workflowAnnotations: string, experimentAnnotations = '') => `apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata:
  name: e${experimentAnnotations}
spec:
  hypothesis: [{ service: ad, errorRate: 1% }]
  duration: 20s
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: Workflow
      metadata:
        name: wf
        annotations: { ${workflowAnnotations} }
      spec:
        entry: ad-errors
        templates:
          - name: ad-errors
            templateType: HTTPChaos
            deadline: 10s
            httpChaos: { mode: all, selector: { labelSelectors: { app: ad } }, target: Response, port: 8080, replace: { code: 500 } }
`
    expect(validateText(experiment('chaoscope.dev/ad-errors.percent: "10"'), 'e.yaml').issues.map(short)).toEqual([])
    expect(validateText(experiment('chaoscope.dev/ad-error.percent: "10"'), 'e.yaml').issues.map(short)).toEqual([
      '13:24 spec.faults[0].metadata.annotations["chaoscope.dev/ad-error.percent"]: annotation chaoscope.dev/ad-error.percent names template "ad-error", which is not a chaos template of this workflow [SPEC_UNKNOWN_TEMPLATE]',
    ])
    // the Experiment's own annotations are not the workflow's
    expect(validateText(experiment('chaoscope.dev/ad-errors.percent: "10"', '\n  annotations: { chaoscope.dev/other.percent: "10" }'), 'e.yaml').issues.map(short)).toEqual([])
  })
})

describe('workflow defaults', () => {
  it('gives embedded chaos its own kind\'s defaults, with the workflow\'s namespace', () => {
    const r = validateText(workflowYaml(`    - name: the-entry
      templateType: Serial
      children: [kill, check, every]
    - name: kill
      templateType: PodChaos
      deadline: 30s
      podChaos: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}
    - name: check
      templateType: StatusCheck
      deadline: 30s
      statusCheck: {http: {url: "http://web/healthz", criteria: {statusCode: "200"}}}
    - name: every
      templateType: Schedule
      deadline: 60s
      schedule: {schedule: "@every 10s", type: PodChaos, podChaos: {action: pod-kill, mode: one, selector: {}}}
`))
    expect(r.issues.map(short)).toEqual([])
    const t = (r.resources[0]!.spec.templates as Record<string, Record<string, unknown>>[])
    expect(t[1]!.podChaos).toMatchObject({ selector: { namespaces: ['shop'] } })
    expect(t[2]!.statusCheck).toEqual({
      type: 'HTTP', mode: 'Synchronous', timeoutSeconds: 1, intervalSeconds: 10, failureThreshold: 3, successThreshold: 1, recordsHistoryLimit: 100,
      http: { url: 'http://web/healthz', method: 'GET', criteria: { statusCode: '200' } },
    })
    expect(t[3]!.schedule).toMatchObject({ podChaos: { selector: { namespaces: ['shop'] } } })
    expect(t[3]!.schedule).not.toHaveProperty('concurrencyPolicy') // Chaos Mesh leaves it empty here, and treats empty as Forbid
  })

  it('accepts a Task with the container fields workflows use', () => {
    const r = validateText(workflowYaml(`    - name: the-entry
      templateType: Task
      task:
        container:
          name: main
          image: curlimages/curl:8.5.0
          imagePullPolicy: IfNotPresent
          command: [sh, -c]
          args: ["curl -fsS http://web/healthz"]
          workingDir: /tmp
          env: [{name: TARGET, value: web}, {name: TOKEN, valueFrom: {secretKeyRef: {name: t, key: token}}}]
          resources: {limits: {cpu: 500m, memory: 64Mi}, requests: {cpu: 100m}}
          volumeMounts: [{name: scratch, mountPath: /scratch}]
          ports: [{containerPort: 8080}]
        volumes: [{name: scratch, emptyDir: {}}]
`))
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources[0]!.spec).toMatchObject({ templates: [{ task: { container: { ports: [{ containerPort: 8080, protocol: 'TCP' }] } } }] })
  })

  it('rejects a misspelled container field and a misspelled volume source', () => {
    const r = validateText(workflowYaml(`    - name: the-entry
      templateType: Task
      task:
        container: {name: main, image: busybox, comand: [ls]}
        volumes: [{name: scratch, emptyDri: {}}]
`))
    expect(r.issues.map(short)).toEqual([
      '10:49 spec.templates[0].task.container.comand: unknown field "comand" [SPEC_UNKNOWN_FIELD]',
      '11:35 spec.templates[0].task.volumes[0].emptyDri: unknown field "emptyDri" [SPEC_UNKNOWN_FIELD]',
    ])
  })
})
