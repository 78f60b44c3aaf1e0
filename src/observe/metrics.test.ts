/** The controller's metrics: Chaos Mesh's names, gauges read at scrape time, no gauge for what does not exist yet. */
import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'
import type { ExperimentMetricPhase } from './metrics.js'

describe('controller metrics', () => {
  it('counts experiments by namespace, kind and phase when scraped, from the current state', async () => {
    const m = createMetrics()
    let live: { namespace: string; kind: string; phase: ExperimentMetricPhase }[] = [
      { namespace: 'default', kind: 'NetworkChaos', phase: 'running' },
      { namespace: 'default', kind: 'NetworkChaos', phase: 'running' },
      { namespace: 'shop', kind: 'PodChaos', phase: 'paused' },
    ]
    m.setSources({ experiments: () => live })
    const first = await m.text()
    expect(first).toContain('chaos_controller_manager_chaos_experiments{namespace="default",kind="NetworkChaos",phase="running"} 2')
    expect(first).toContain('chaos_controller_manager_chaos_experiments{namespace="shop",kind="PodChaos",phase="paused"} 1')
    live = [{ namespace: 'shop', kind: 'PodChaos', phase: 'finished' }]
    const second = await m.text()
    expect(second).not.toContain('phase="running"')
    expect(second).toContain('chaos_controller_manager_chaos_experiments{namespace="shop",kind="PodChaos",phase="finished"} 1')
  })

  it('counts schedules and workflows by namespace from their sources, as Chaos Mesh does', async () => {
    const m = createMetrics()
    m.setSources({ schedules: () => ['default', 'default', 'shop'], workflows: () => ['default'] })
    const text = await m.text()
    expect(text).toContain('# TYPE chaos_controller_manager_chaos_schedules gauge')
    expect(text).toContain('chaos_controller_manager_chaos_schedules{namespace="default"} 2')
    expect(text).toContain('chaos_controller_manager_chaos_schedules{namespace="shop"} 1')
    expect(text).toContain('chaos_controller_manager_chaos_workflows{namespace="default"} 1')
    m.setSources({ schedules: () => [] })
    expect(await m.text()).not.toMatch(/chaos_controller_manager_chaos_schedules\{/)
  })

  it('counts injections, recoveries and events with their labels', async () => {
    const m = createMetrics()
    m.injections.inc({ kind: 'NetworkChaos', action: 'delay', result: 'success' })
    m.recoveries.inc({ kind: 'NetworkChaos', result: 'failure' })
    m.emittedEvents.inc({ type: 'Warning', reason: 'TargetsGone', namespace: 'default' })
    const text = await m.text()
    expect(text).toContain('chaoscope_injections_total{kind="NetworkChaos",action="delay",result="success"} 1')
    expect(text).toContain('chaoscope_recoveries_total{kind="NetworkChaos",result="failure"} 1')
    expect(text).toContain('chaos_controller_manager_emitted_event_total{type="Warning",reason="TargetsGone",namespace="default"} 1')
  })
})
