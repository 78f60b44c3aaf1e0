/**
 * @module runtime/process/pod-state: the states of one pod's runner and the transitions between them, as data.
 * The runner moves only through {@link PodStateMachine.to}; a move the table does not allow is a bug in the
 * supervisor and throws (INTERNAL) instead of leaving a pod in a state nobody planned for. The pod's phase, reason
 * and ready flag (what users see) are set by the runner beside the state; the state says what the runner does next.
 *
 *   Creating ──env ready──▶ Starting ──spawned──▶ Running ──exit, policy: restart──▶ BackOff ──timer──▶ Starting
 *      │                      │ cannot run           │ exit, policy: stay down
 *      ▼                      └──────────────────────┴──────────────────────────────▶ Ended
 *   ConfigError
 *   any live state ──failPod──▶ Held ──unfailPod──▶ where it was (Starting when its container is gone)
 *   any live state ──stopPod──▶ Terminating ──container gone──▶ Deleted
 */
import { ChaosError } from '../../errors.js'

export type PodState =
  /** The pod exists; its environment (egress addresses) is being prepared. */
  | 'Creating'
  /** Its environment could not be prepared; it stays so until deleted. */
  | 'ConfigError'
  /** Its container is being launched. */
  | 'Starting'
  /** Its container runs (readiness is a flag beside the state). */
  | 'Running'
  /** Its container ended and will be started again once the back-off delay (possibly 0) has passed. */
  | 'BackOff'
  /** Its container ended and the restart policy keeps it down (phase Succeeded or Failed). */
  | 'Ended'
  /** Held down by pod-failure chaos: no container is started (the one it had may still be dying). */
  | 'Held'
  /** Being deleted: its container gets SIGTERM, then SIGKILL after the grace period. */
  | 'Terminating'
  /** Gone. */
  | 'Deleted'

/** From each state, the states a runner may move to. */
export const POD_TRANSITIONS: { readonly [S in PodState]: readonly PodState[] } = {
  Creating: ['Starting', 'ConfigError', 'Held', 'Terminating'],
  ConfigError: ['Held', 'Terminating'],
  Starting: ['Running', 'BackOff', 'Ended', 'Held', 'Terminating'],
  Running: ['BackOff', 'Ended', 'Held', 'Terminating'],
  BackOff: ['Starting', 'Held', 'Terminating'],
  Ended: ['Held', 'Terminating'],
  // released: back to what it was; a container that died meanwhile is started again
  Held: ['Creating', 'ConfigError', 'Starting', 'Running', 'Ended', 'Terminating'],
  Terminating: ['Deleted'],
  Deleted: [],
}

export function canTransition(from: PodState, to: PodState): boolean {
  return POD_TRANSITIONS[from].includes(to)
}

/** One pod's state, changed only along {@link POD_TRANSITIONS}. */
export class PodStateMachine {
  private current: PodState = 'Creating'

  constructor(private readonly pod: string) {}

  get state(): PodState {
    return this.current
  }

  /** True in the given states. */
  is(...states: PodState[]): boolean {
    return states.includes(this.current)
  }

  /** Moves to `to`; throws INTERNAL when the table does not allow it (a bug: the caller must check first). */
  to(to: PodState): void {
    if (!canTransition(this.current, to)) {
      throw new ChaosError('INTERNAL', `pod ${this.pod}: the runner cannot go from ${this.current} to ${to}`, { hint: 'this is a bug in the pod supervisor; please report it with the pod\'s events' })
    }
    this.current = to
  }
}
