/**
 * @module runtime/process/launch: how a pod's argv becomes the exec chain that starts it: resolve the executable
 * first (so a missing one is reported, not guessed from an exit code), then setpriv for the parent-death signal,
 * then an optional shell step that joins the pod's cgroups, nsenter into the pod's network namespace and setpriv to
 * the pod's user, before the real command replaces them. The pid stays the same
 * through every exec, so the pid the supervisor sees is the pod's.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

/** Exit code of the cgroup-joining step when it cannot join (the command never ran). */
export const JOIN_FAILED_EXIT = 125
export const JOIN_FAILED_MARK = 'chaoscope: cannot join cgroup'

export type Resolved = { ok: true; path: string } | { ok: false; message: string }

/** Finds `cmd` as exec(3p) would: a name with `/` relative to `cwd`, a bare name on PATH (of the pod's env). */
export function resolveExecutable(cmd: string, pathEnv: string | undefined, cwd: string): Resolved {
  if (cmd === '') return { ok: false, message: 'the command is empty' }
  const candidates = cmd.includes('/') ? [isAbsolute(cmd) ? cmd : resolve(cwd, cmd)] : (pathEnv ?? '').split(delimiter).filter(Boolean).map((d) => join(isAbsolute(d) ? d : resolve(cwd, d), cmd))
  let denied: string | undefined
  for (const p of candidates) {
    let isFile = false
    try {
      isFile = statSync(p).isFile()
    } catch {
      continue
    }
    if (!isFile) {
      denied ??= `${p} is not a regular file`
      continue
    }
    try {
      accessSync(p, constants.X_OK)
      return { ok: true, path: p }
    } catch {
      denied ??= `${p} is not executable (permission denied)`
    }
  }
  if (denied) return { ok: false, message: `cannot run ${JSON.stringify(cmd)}: ${denied}` }
  return cmd.includes('/')
    ? { ok: false, message: `cannot run ${JSON.stringify(cmd)}: no such file or directory` }
    : { ok: false, message: `executable ${JSON.stringify(cmd)} not found in $PATH` }
}

/** Checks that the working directory is a directory; returns why not. */
export function checkWorkingDir(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `working directory ${dir} is not a directory`
  } catch {
    return `working directory ${dir} does not exist`
  }
  return undefined
}

// $1 = how many cgroup.procs files follow; each gets this shell's pid, then the command replaces the shell.
const JOIN_SCRIPT = `n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ 2>/dev/null > "$1" || { echo "${JOIN_FAILED_MARK} $1" >&2; exit ${JOIN_FAILED_EXIT}; }; shift; n=$((n-1)); done; exec "$@"`

export interface LaunchPlan {
  file: string
  args: string[]
}

/** Steps of the chain after the cgroup join, each of which needs root until the last. */
export interface LaunchSteps {
  /** Enter this network namespace (nsenter --net=PATH). */
  netns?: { nsenter: string; path: string }
  /** Drop to these credentials (setpriv's --reuid/--regid/groups options) just before the command. */
  credentials?: { setpriv: string; args: readonly string[] }
}

/**
 * The exec chain for an already resolved argv:
 * `setpriv --pdeathsig KILL -- sh join-cgroups -- nsenter --net=NS -- setpriv --reuid=U ... -- command`.
 * Changing credentials clears the parent-death signal, so the last setpriv sets it again.
 * @param setpriv path of util-linux setpriv, or undefined to go without the parent-death signal
 * @param cgroupProcs the `cgroup.procs` files to join before exec (empty: no cgroup)
 */
export function launchPlan(argv: readonly [string, ...string[]], setpriv: string | undefined, cgroupProcs: readonly string[], steps: LaunchSteps = {}): LaunchPlan {
  let chain: string[] = [...argv]
  if (steps.credentials) chain = [steps.credentials.setpriv, ...steps.credentials.args, ...(setpriv ? ['--pdeathsig', 'KILL'] : []), '--', ...chain]
  if (steps.netns) chain = [steps.netns.nsenter, `--net=${steps.netns.path}`, '--', ...chain]
  if (cgroupProcs.length > 0) chain = ['/bin/sh', '-c', JOIN_SCRIPT, 'chaoscope-join', String(cgroupProcs.length), ...cgroupProcs, ...chain]
  if (setpriv) chain = [setpriv, '--pdeathsig', 'KILL', '--', ...chain]
  return { file: chain[0]!, args: chain.slice(1) }
}

/** The first executable named `bin` on PATH. */
export function findOnPath(bin: string): string | undefined {
  const r = resolveExecutable(bin, process.env.PATH, process.cwd())
  return r.ok ? r.path : undefined
}
