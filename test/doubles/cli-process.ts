/**
 * @module test/doubles/cli-process: the CLI (`bin/chaoscope.js`) as a child process for end-to-end tests: started
 * with its output kept, waited on for a line, stopped with SIGTERM or killed with SIGKILL.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')

export interface CliProcess {
  child: ChildProcess
  /** Everything it printed so far, stdout and stderr together. */
  out(): string
}

/** `chaoscope <args>` in the repository's root, its output kept. */
export function launch(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  let out = ''
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  return { child, out: () => out }
}

/** The first match of `re` in its output; throws with the output when it exits or `timeoutMs` passes first. */
export async function waitOutput(p: CliProcess, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const m = re.exec(p.out())
    if (m) return m
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`no ${re} in the output:\n${p.out()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Sends `sig` and resolves once it has exited (at once when it already has). */
export async function signalAndWait(c: ChildProcess | undefined, sig: NodeJS.Signals): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return
  const exited = new Promise((r) => c.once('exit', r))
  c.kill(sig)
  await exited
}
