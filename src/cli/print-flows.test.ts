import { describe, expect, it } from 'vitest'
import type { ChaosObject } from '../index.js'
import { flowCells, flowStatusText, nodeTreeText } from './print-flows.js'
import { objectTables } from './print.js'

const NOW = Date.parse('2026-12-02T10:00:00Z')
const obj = (kind: string, spec: Record<string, unknown>, status: Record<string, unknown>): ChaosObject =>
  ({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: 'x', namespace: 'default', creationTimestamp: '2026-12-02T09:59:00Z' }, spec, status }) as unknown as ChaosObject

describe('get and describe of schedules, workflows and status checks', () => {
  it('a schedule row shows its type, cron, policy, active children, last and next run', () => {
    const s = obj('Schedule', { type: 'PodChaos', schedule: '@every 5s', concurrencyPolicy: 'Forbid' }, { time: '2026-12-02T09:59:58Z', active: [{ kind: 'PodChaos', name: 'x-abcde' }], chaoscope: { phase: 'running', nextRun: '2026-12-02T10:00:03Z' } })
    expect(flowCells(s, NOW)).toEqual(['PodChaos', '@every 5s', 'Forbid', '1', '2s ago', 'in 3s', 'Running', '60s'])
    expect(objectTables([s], { wide: false, allNamespaces: false, typed: false, typeName: (k) => k, now: NOW })).toMatch(/^NAME\s+TYPE\s+SCHEDULE\s+POLICY\s+ACTIVE\s+LAST RUN\s+NEXT RUN\s+PHASE\s+AGE\n/)
    expect(flowStatusText(s, NOW)).toContain('Active:         podchaos/x-abcde')
  })

  it("a workflow's describe shows its node tree with phases and times", () => {
    const nodes = [{ name: 'entry-a', type: 'Serial', phase: 'Running', startTime: '2026-12-02T09:59:50Z', deadline: '240s', children: [
      { name: 'stress-b', type: 'StressChaos', phase: 'Accomplished', startTime: '2026-12-02T09:59:50Z', endTime: '2026-12-02T09:59:55Z' },
      { name: 'pause-c', type: 'Suspend', phase: 'Running', startTime: '2026-12-02T09:59:55Z', deadline: '10s' },
    ] }]
    const w = obj('Workflow', { entry: 'entry' }, { conditions: [{ type: 'Accomplished', status: 'False' }], chaoscope: { phase: 'running', nodes } })
    expect(flowCells(w, NOW)).toEqual(['entry', 'Running', '1/3', '60s'])
    const tree = nodeTreeText(nodes, NOW)
    expect(tree).toMatch(/entry-a\s+Serial\s+Running\s+10s ago/)
    expect(tree).toMatch(/├─ stress-b\s+StressChaos\s+Accomplished\s+10s ago\s+5s ago/)
    expect(tree).toMatch(/└─ pause-c\s+Suspend\s+Running/)
    expect(flowStatusText(w, NOW)).toContain('Nodes:')
  })

  it('a status check row counts successful probes', () => {
    const c = obj('StatusCheck', { type: 'HTTP', mode: 'Continuous' }, { records: [{ outcome: 'Success' }, { outcome: 'Failure' }], chaoscope: { phase: 'running' } })
    expect(flowCells(c, NOW)).toEqual(['HTTP', 'Continuous', 'Running', '1/2 ok', '60s'])
  })
})
