/**
 * @module cli/main: the program, its exit codes and its one error report. Start-up stays cheap: the command
 * definitions (cli/commands.ts) load at once, each verb's code when it runs.
 */
import { Command, CommanderError } from 'commander'
import { EXIT, isChaosError, VERSION } from '../index.js'
import type { ErrorCode } from '../index.js'
import { registerCommands } from './commands.js'
import { registerDoctor } from './doctor.js'

/** Output streams, replaceable in tests. */
export interface Io {
  out: (s: string) => void
  err: (s: string) => void
  stdin?: () => Buffer
}

/** One run of the CLI: its streams, and the exit code the command decided on. */
export interface Run extends Io {
  exitCode: number
  /** Parse the command line only: check commands, flags and values, run no verb (the docs test uses it). */
  parseOnly?: boolean
}

export const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
}

export const EXIT_CODES_HELP = 'Exit codes: 0 ok, 1 failed (refused by the controller, not running, timed out), 2 usage or validation error.'

/** The exit code of an error: 2 for a command line or input the user can fix, 1 for everything that failed. */
export function exitCodeOf(code: ErrorCode): number {
  return code === 'CLI_USAGE' || code === 'SELECTOR_INVALID' || code === 'LOAD_INVALID_PLAN' || code === 'LOAD_TARGET_REFUSED' || code === 'RUN_INVALID_VAR' || code === 'RUN_MISSING_ENV' || code === 'RUN_REFUSED_ACTIVITY' || code === 'AUTH_NONE_NOT_LOOPBACK' || code === 'CONFIG_INVALID' || code === 'KUBE_CONFIG_INVALID' || code === 'STORE_HOME_UNSAFE' || code === 'REPORT_INVALID_RANGE' || code.startsWith('SPEC_') || code.startsWith('CTK_') ? EXIT.USAGE : EXIT.FAILED
}

/** The command line commander could not read, with the command it was reading (for the hint). */
interface UsageSlip {
  command: string
  message: string
}

export function buildProgram(run: Run): Command {
  const program = new Command()
  const slips: UsageSlip[] = []
  program
    .name('chaoscope')
    .description('Chaos engineering in one tool: Chaos Mesh experiments, validated and run.')
    .version(VERSION, '-V, --version')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\nEvery command has --help with its flags and examples, e.g. \`chaoscope get --help\`.`)
  registerCommands(program, run)
  registerDoctor(program, run)
  const configure = (cmd: Command, path: string): void => {
    cmd.exitOverride().configureOutput({
      writeOut: run.out,
      writeErr: run.err,
      // commander's own message is replaced by a coded one (see reportError)
      outputError: (message) => slips.push({ command: path, message: message.replace(/^error: /, '').trim() }),
    })
    for (const sub of cmd.commands) configure(sub, `${path} ${sub.name()}`)
  }
  configure(program, 'chaoscope')
  ;(program as Command & { slips?: UsageSlip[] }).slips = slips
  return program
}

/** Runs the CLI; the only place that decides the exit code. Never throws. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const run: Run = { ...io, exitCode: EXIT.OK }
  const program = buildProgram(run)
  let code: number = EXIT.OK
  try {
    await program.parseAsync(argv, { from: 'user' })
    code = run.exitCode
  } catch (e) {
    code = reportError(e, io, (program as Command & { slips?: UsageSlip[] }).slips ?? [])
  }
  process.exitCode = code
  return code
}

function reportError(e: unknown, io: Io, slips: UsageSlip[]): number {
  if (e instanceof CommanderError) {
    // --help and --version end with 0; `chaoscope` alone printed its help to stderr: a usage error
    if (e.exitCode === 0) return EXIT.OK
    const slip = slips.at(-1)
    if (slip) io.err(`error: ${slip.message}  [CLI_USAGE]\n    hint: see \`${slip.command} --help\`\n`)
    return EXIT.USAGE
  }
  if (isChaosError(e)) {
    io.err(`error: ${e.message}  [${e.code}]\n`)
    if (e.hint) io.err(`    hint: ${e.hint}\n`)
    return exitCodeOf(e.code)
  }
  const err = e instanceof Error ? e : new Error(String(e))
  io.err(`internal error: ${err.message}  [INTERNAL]\n    hint: this is a bug in chaoscope; please report it${process.env.CHAOSCOPE_DEBUG ? '' : ' (set CHAOSCOPE_DEBUG=1 to print the stack)'}\n`)
  if (process.env.CHAOSCOPE_DEBUG) io.err(`${err.stack ?? ''}\n`)
  return EXIT.FAILED
}

export { outputOption, usage } from './flags.js'
