/** The reconciler's pure decisions, as tables with literal ISO timestamps. */
import { describe, expect, it } from 'vitest'
import { conditionsOf, decidePhase, desiredPhase, experimentPhase, INJECTED, INJECTING, isFinished, nextOperation, NOT_INJECTED } from './decide.js'
import type { DesiredPhase, ExperimentFacts, Operation } from './decide.js'

const C = '2024-05-01T10:00:00Z'
const PAUSED = { 'experiment.chaos-mesh.org/pause': 'true' }

describe('decidePhase', () => {
  const table: [string, ExperimentFacts, string, ReturnType<typeof decidePhase>][] = [
    ['no duration runs until deleted', { creationTimestamp: C }, '2024-06-01T00:00:00Z', { phase: 'Run', reason: 'Started' }],
    ['within the duration', { creationTimestamp: C, duration: '30s' }, '2024-05-01T10:00:10Z', { phase: 'Run', reason: 'Started', untilStopMs: 20_000 }],
    ['one millisecond before the end', { creationTimestamp: C, duration: '30s' }, '2024-05-01T10:00:29.999Z', { phase: 'Run', reason: 'Started', untilStopMs: 1 }],
    ['exactly at the end', { creationTimestamp: C, duration: '30s' }, '2024-05-01T10:00:30Z', { phase: 'Stop', reason: 'TimeUp' }],
    ['after the end', { creationTimestamp: C, duration: '1m30s' }, '2024-05-01T10:05:00Z', { phase: 'Stop', reason: 'TimeUp' }],
    ['paused within the duration', { creationTimestamp: C, duration: '30s', annotations: PAUSED }, '2024-05-01T10:00:10Z', { phase: 'Stop', reason: 'Paused', untilStopMs: 20_000 }],
    ['paused without duration', { creationTimestamp: C, annotations: PAUSED }, '2024-05-01T10:00:10Z', { phase: 'Stop', reason: 'Paused' }],
    ['pause annotation not "true"', { creationTimestamp: C, annotations: { 'experiment.chaos-mesh.org/pause': 'false' } }, '2024-05-01T10:00:10Z', { phase: 'Run', reason: 'Started' }],
    ['paused and over: time up wins', { creationTimestamp: C, duration: '30s', annotations: PAUSED }, '2024-05-01T10:01:00Z', { phase: 'Stop', reason: 'TimeUp' }],
    ['deleted within the duration', { creationTimestamp: C, duration: '30s', deletionTimestamp: '2024-05-01T10:00:05Z' }, '2024-05-01T10:00:10Z', { phase: 'Stop', reason: 'Deleted' }],
    ['one-shot ignores duration and pause', { creationTimestamp: C, duration: '1s', oneShot: true, annotations: PAUSED }, '2024-05-01T11:00:00Z', { phase: 'Run', reason: 'Started' }],
    ['one-shot deleted', { creationTimestamp: C, oneShot: true, deletionTimestamp: C }, '2024-05-01T11:00:00Z', { phase: 'Stop', reason: 'Deleted' }],
    ['creation with milliseconds', { creationTimestamp: '2024-05-01T10:00:00.250Z', duration: '500ms' }, '2024-05-01T10:00:00.700Z', { phase: 'Run', reason: 'Started', untilStopMs: 50 }],
  ]
  it.each(table)('%s', (_name, exp, now, want) => {
    expect(decidePhase(exp, now)).toEqual(want)
    expect(desiredPhase(exp, Date.parse(now))).toBe(want.phase)
  })
})

describe('nextOperation', () => {
  const table: [DesiredPhase, string, Operation][] = [
    ['Run', NOT_INJECTED, 'inject'],
    ['Run', INJECTING, 'inject'],
    ['Run', INJECTED, 'none'],
    ['Run', 'Injected/Waiting', 'recover'],
    ['Stop', NOT_INJECTED, 'none'],
    ['Stop', INJECTED, 'recover'],
    ['Stop', 'Injected/Waiting', 'recover'],
    ['Stop', INJECTING, 'inject'],
  ]
  it.each(table)('%s with a record %s → %s', (desired, phase, op) => {
    expect(nextOperation(desired, phase)).toBe(op)
  })
})

describe('conditionsOf', () => {
  const short = (phases: string[], paused: boolean) => conditionsOf(phases, paused).map((c) => `${c.type}=${c.status}`).join(' ')
  it.each([
    [[], false, 'Selected=False AllInjected=False AllRecovered=False Paused=False'],
    [[NOT_INJECTED, NOT_INJECTED], false, 'Selected=True AllInjected=False AllRecovered=True Paused=False'],
    [[INJECTED, NOT_INJECTED], false, 'Selected=True AllInjected=False AllRecovered=False Paused=False'],
    [[INJECTED, INJECTED], false, 'Selected=True AllInjected=True AllRecovered=False Paused=False'],
    [[INJECTING], true, 'Selected=True AllInjected=False AllRecovered=False Paused=True'],
  ] as [string[], boolean, string][])('%j paused=%s → %s', (phases, paused, want) => {
    expect(short(phases, paused)).toBe(want)
  })
})

describe('isFinished and experimentPhase', () => {
  const table: [string, ExperimentFacts, DesiredPhase, string[], string, boolean, string][] = [
    ['running', { creationTimestamp: C, duration: '30s' }, 'Run', [INJECTED], '2024-05-01T10:00:10Z', false, 'running'],
    ['still injecting', { creationTimestamp: C, duration: '30s' }, 'Run', [INJECTED, INJECTING], '2024-05-01T10:00:10Z', false, 'injecting'],
    ['time up, recovering', { creationTimestamp: C, duration: '30s' }, 'Stop', [INJECTED], '2024-05-01T10:00:31Z', false, 'running'],
    ['time up, recovered', { creationTimestamp: C, duration: '30s' }, 'Stop', [NOT_INJECTED], '2024-05-01T10:00:31Z', true, 'finished'],
    ['paused', { creationTimestamp: C, duration: '30s', annotations: PAUSED }, 'Stop', [NOT_INJECTED], '2024-05-01T10:00:10Z', false, 'paused'],
    ['no duration never finishes', { creationTimestamp: C }, 'Stop', [NOT_INJECTED], '2025-01-01T00:00:00Z', false, 'injecting'],
    ['one-shot done', { creationTimestamp: C, oneShot: true }, 'Run', [INJECTED, INJECTED], '2024-05-01T10:00:01Z', true, 'finished'],
    ['deleting', { creationTimestamp: C, deletionTimestamp: C }, 'Stop', [INJECTED], '2024-05-01T10:00:01Z', false, 'deleting'],
  ]
  it.each(table)('%s', (_n, exp, desired, phases, now, finished, phase) => {
    expect(isFinished(exp, desired, phases, now)).toBe(finished)
    expect(experimentPhase(exp, desired, phases, now)).toBe(phase)
  })
})
