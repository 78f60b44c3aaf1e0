/** The pod runner's state table: what may follow what, and that anything else throws. */
import { expect, it } from 'vitest'
import { POD_TRANSITIONS, PodStateMachine, canTransition } from './pod-state.js'
import type { PodState } from './pod-state.js'

const STATES = Object.keys(POD_TRANSITIONS) as PodState[]

it('every state can be reached from Creating, and every state but Deleted can reach Deleted', () => {
  const reach = (from: PodState): Set<PodState> => {
    const seen = new Set<PodState>([from])
    const todo = [from]
    while (todo.length) for (const n of POD_TRANSITIONS[todo.pop()!]) if (!seen.has(n)) (seen.add(n), todo.push(n))
    return seen
  }
  expect([...reach('Creating')].sort()).toEqual([...STATES].sort())
  for (const s of STATES) expect(reach(s).has('Deleted')).toBe(true)
})

it('Deleted is final and Terminating leads only to Deleted: a pod being deleted never starts again', () => {
  expect(POD_TRANSITIONS.Deleted).toEqual([])
  expect(POD_TRANSITIONS.Terminating).toEqual(['Deleted'])
})

it('a container starts only through Starting, and only from Creating, BackOff or a released hold', () => {
  expect(STATES.filter((s) => canTransition(s, 'Starting')).sort()).toEqual(['BackOff', 'Creating', 'Held'])
  expect(STATES.filter((s) => canTransition(s, 'Running')).sort()).toEqual(['Held', 'Starting'])
})

it('every live state can be held down by pod-failure chaos and deleted', () => {
  for (const s of STATES.filter((x) => !['Held', 'Terminating', 'Deleted'].includes(x))) {
    expect(canTransition(s, 'Held')).toBe(true)
    expect(canTransition(s, 'Terminating')).toBe(true)
  }
})

it('moves along the table and throws INTERNAL, naming the pod and both states, for a move it does not allow', () => {
  const m = new PodStateMachine('web-abcde')
  expect(m.state).toBe('Creating')
  m.to('Starting')
  m.to('Running')
  expect(m.is('Running', 'BackOff')).toBe(true)
  expect(() => m.to('Creating')).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'pod web-abcde: the runner cannot go from Running to Creating' }))
  expect(m.state).toBe('Running') // a refused move changes nothing
  m.to('Terminating')
  m.to('Deleted')
  expect(() => m.to('Starting')).toThrow(/cannot go from Deleted to Starting/)
})
