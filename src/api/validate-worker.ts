/**
 * @module api/validate-worker: the worker thread that reads and validates large request bodies (validateText) for
 * the controller's API, so that parsing them never holds up the event loop that answers health checks and other
 * clients. One message in, `{id, text, file}`; one out, `{id, result}` (the ValidationResult) or `{id, error}`.
 * Started by src/api/validate-pool.ts; in the built package it loads the manifest layer's one-file bundle when it
 * is there (scripts/bundle.mjs), as src/index.ts does.
 */
import { existsSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import type * as Validate from '../manifest/validate.js'

export interface ValidateRequest {
  id: number
  text: string
  file: string
}

export type ValidateReply = { id: number; result: Validate.ValidationResult } | { id: number; error: string }

const bundle = new URL('../manifest/validate.bundle.js', import.meta.url)
const manifest: Promise<typeof Validate> = existsSync(bundle) ? (import(/* @vite-ignore */ bundle.href) as Promise<typeof Validate>) : import('../manifest/validate.js')

const port = parentPort
if (port) {
  port.on('message', (m: ValidateRequest) => {
    void manifest.then(
      (v) => {
        try {
          port.postMessage({ id: m.id, result: v.validateText(m.text, m.file) } satisfies ValidateReply)
        } catch (e) {
          // a bug: validateText never throws for user input, and its result is plain data
          port.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ValidateReply)
        }
      },
      (e: unknown) => port.postMessage({ id: m.id, error: `the manifest layer did not load: ${e instanceof Error ? e.message : String(e)}` } satisfies ValidateReply),
    )
  })
}
