/**
 * @module test/doubles/auth: the tokens a test sends, found where a real client finds them: the local admin token
 * that `up` and `server` keep in `<home>/token`, and the runtime's own token in `<home>/runtime.json`. Tests call
 * the APIs with these, as the CLI does, so that what they check is the API with its authentication on.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** `{ authorization: 'Bearer <token>' }`, to spread into a request's headers. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** The local admin token `up` or `server` wrote to `<home>/token` (home: $CHAOSCOPE_HOME by default). */
export function adminToken(home = homeOf()): string {
  const token = readFileSync(join(home, 'token'), 'utf8').trim()
  if (!token) throw new Error(`${join(home, 'token')} is empty`)
  return token
}

/** The runtime's own token, from `<home>/runtime.json` (home: $CHAOSCOPE_HOME by default). */
export function runtimeToken(home = homeOf()): string {
  const state = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { token?: string }
  if (!state.token) throw new Error(`${join(home, 'runtime.json')} holds no token`)
  return state.token
}

/** Headers that carry the local admin token, for the controller API (`/api/v1/*`, its `/metrics`). */
export function adminHeaders(home?: string): { authorization: string } {
  return bearer(adminToken(home))
}

/** Headers that carry the runtime's token, for its control API (`/runtime/v1/*`, its `/metrics`). */
export function runtimeHeaders(home?: string): { authorization: string } {
  return bearer(runtimeToken(home))
}

function homeOf(): string {
  const home = process.env.CHAOSCOPE_HOME
  if (!home) throw new Error('CHAOSCOPE_HOME is not set: pass the home the server was started with')
  return home
}
