/**
 * @module engine/decide: the experiment reconciler's pure decisions: the desired phase from duration, pause and
 * delete; the operation a record needs; the conditions and the phase shown for an experiment. No I/O, no clock.
 */
import { parseDuration } from '../manifest/duration.js'

export type DesiredPhase = 'Run' | 'Stop'
/** Why the desired phase is what it is; the reason of the event emitted when it changes. */
export type PhaseReason = 'Deleted' | 'TimeUp' | 'Paused' | 'Started'
export type Operation = 'inject' | 'recover' | 'none'

export const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause'
export const NOT_INJECTED = 'Not Injected'
export const INJECTED = 'Injected'
/** A record whose inject has started but whose Injection is not stored yet (a crash here is finished on restart). */
export const INJECTING = `${NOT_INJECTED}/Injecting`

/** What the decisions read of an experiment. */
export interface ExperimentFacts {
  /** ISO 8601; the duration counts from here, as Chaos Mesh counts it. */
  creationTimestamp: string
  /** A Go duration ("30s"); absent: until deleted. */
  duration?: string
  annotations?: Record<string, string>
  /** Set once delete was asked. */
  deletionTimestamp?: string
  /** One-shot actions (pod-kill, container-kill): run once, nothing to wait for. */
  oneShot?: boolean
}

export interface PhaseDecision {
  phase: DesiredPhase
  reason: PhaseReason
  /** Milliseconds until the duration ends, while it has not (wake the reconciler then). */
  untilStopMs?: number
}

const ms = (t: number | string): number => (typeof t === 'number' ? t : Date.parse(t))

export function isPaused(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[PAUSE_ANNOTATION] === 'true'
}

/**
 * Chaos Mesh's desired phase, in its order: deleted → Stop; one-shot → Run; duration over (now at or past
 * creation + duration) → Stop; paused → Stop; otherwise Run.
 *
 * @example decidePhase({ creationTimestamp: '2024-05-01T10:00:00Z', duration: '30s' }, '2024-05-01T10:00:10Z')
 *   // { phase: 'Run', reason: 'Started', untilStopMs: 20000 }
 */
export function decidePhase(exp: ExperimentFacts, now: number | string): PhaseDecision {
  if (exp.deletionTimestamp !== undefined) return { phase: 'Stop', reason: 'Deleted' }
  if (exp.oneShot) return { phase: 'Run', reason: 'Started' }
  let untilStopMs: number | undefined
  const durationMs = exp.duration === undefined || exp.duration === '' ? undefined : parseDuration(exp.duration)
  if (durationMs !== undefined) {
    const stopAt = ms(exp.creationTimestamp) + durationMs
    const t = ms(now)
    if (t >= stopAt) return { phase: 'Stop', reason: 'TimeUp' }
    untilStopMs = stopAt - t
  }
  const timing = untilStopMs !== undefined ? { untilStopMs } : {}
  if (isPaused(exp.annotations)) return { phase: 'Stop', reason: 'Paused', ...timing }
  return { phase: 'Run', reason: 'Started', ...timing }
}

/** Just the phase of {@link decidePhase}. */
export function desiredPhase(exp: ExperimentFacts, now: number | string): DesiredPhase {
  return decidePhase(exp, now).phase
}

/**
 * What one record needs, following Chaos Mesh's cycle Not Injected → Not Injected/* → Injected → Injected/* →
 * Not Injected. A record caught `Not Injected/…` when the experiment must stop needs `inject` here: the
 * reconciler finishes that half-done step by undoing it (removing what the runtime holds for the record), not by
 * injecting (see ExperimentReconciler.undoPartial).
 */
export function nextOperation(desired: DesiredPhase, recordPhase: string): Operation {
  const notInjected = recordPhase.startsWith(NOT_INJECTED)
  if (desired === 'Run' && recordPhase !== INJECTED) return notInjected ? 'inject' : 'recover'
  if (desired === 'Stop' && recordPhase !== NOT_INJECTED) return notInjected ? 'inject' : 'recover'
  return 'none'
}

export interface Condition {
  type: 'Selected' | 'AllInjected' | 'AllRecovered' | 'Paused'
  status: 'True' | 'False'
  reason: string
}

/**
 * Chaos Mesh's four conditions: Selected once records exist; AllInjected / AllRecovered when every record is
 * Injected / Not Injected (both False without records); Paused from the annotation.
 */
export function conditionsOf(recordPhases: readonly string[], paused: boolean): Condition[] {
  const any = recordPhases.length > 0
  const tf = (b: boolean): 'True' | 'False' => (b ? 'True' : 'False')
  return [
    { type: 'Selected', status: tf(any), reason: '' },
    { type: 'AllInjected', status: tf(any && recordPhases.every((p) => p === INJECTED)), reason: '' },
    { type: 'AllRecovered', status: tf(any && recordPhases.every((p) => p === NOT_INJECTED)), reason: '' },
    { type: 'Paused', status: tf(paused), reason: '' },
  ]
}

/**
 * Finished as Chaos Mesh judges it: a one-shot experiment once every record is Injected; any other once its
 * duration is over, it is told to stop and every record is Not Injected.
 */
export function isFinished(exp: ExperimentFacts, desired: DesiredPhase, recordPhases: readonly string[], now: number | string): boolean {
  if (exp.oneShot) return recordPhases.length > 0 && recordPhases.every((p) => p === INJECTED)
  if (desired !== 'Stop' || !recordPhases.every((p) => p === NOT_INJECTED)) return false
  const durationMs = exp.duration === undefined || exp.duration === '' ? undefined : parseDuration(exp.duration)
  return durationMs !== undefined && ms(now) >= ms(exp.creationTimestamp) + durationMs
}

/** The phase `get` shows and chaos_controller_manager_chaos_experiments counts, as Chaos Mesh derives it. */
export function experimentPhase(exp: ExperimentFacts, desired: DesiredPhase, recordPhases: readonly string[], now: number | string): 'injecting' | 'running' | 'paused' | 'finished' | 'deleting' {
  if (exp.deletionTimestamp !== undefined) return 'deleting'
  if (isPaused(exp.annotations)) return 'paused'
  if (isFinished(exp, desired, recordPhases, now)) return 'finished'
  if (recordPhases.length > 0 && recordPhases.every((p) => p === INJECTED)) return 'running'
  return 'injecting'
}
