/** @module cli/main: argument parsing only; every command calls the programmatic API in src/index.ts. */
import { Command, CommanderError, Option } from 'commander'
import { ChaosError, EXIT, isChaosError } from '../errors.js'
import { VERSION } from '../version.js'
import { registerValidate } from './validate.js'
import { registerDoctor } from './doctor.js'
import { registerRuntime } from './runtime.js'
import { registerController } from './controller.js'
import { registerServer } from './server.js'

/** Output streams, replaceable in tests. */
export interface Io {
  out: (s: string) => void
  err: (s: string) => void
  stdin?: () => Buffer
}

/** One run of the CLI: its streams, and the exit code the command decided on. */
export interface Run extends Io {
  exitCode: number
}

export const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
}

export function buildProgram(io: Run): Command {
  const program = new Command()
  program
    .name('chaoscope')
    .description('Chaos engineering in one tool: Chaos Mesh experiments, validated and run.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
  registerValidate(program, io)
  registerRuntime(program, io)
  registerController(program, io)
  registerServer(program, io)
  registerDoctor(program, io)
  const configure = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err })
      configure(sub)
    }
  }
  configure(program)
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
    code = reportError(e, io)
  }
  process.exitCode = code
  return code
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    // help and version exit with 0; usage errors were already printed by commander.
    return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE
  }
  if (isChaosError(e)) {
    io.err(`error: ${e.message}  [${e.code}]\n`)
    if (e.hint) io.err(`    hint: ${e.hint}\n`)
    return e.code === 'CLI_USAGE' || e.code.startsWith('SPEC_') ? EXIT.USAGE : EXIT.FAILED
  }
  const err = e instanceof Error ? e : new Error(String(e))
  io.err(`internal error: ${err.message}  [INTERNAL]\n    hint: this is a bug in chaoscope; please report it${process.env.CHAOSCOPE_DEBUG ? '' : ' (set CHAOSCOPE_DEBUG=1 to print the stack)'}\n`)
  if (process.env.CHAOSCOPE_DEBUG) io.err(`${err.stack ?? ''}\n`)
  return EXIT.FAILED
}

/** `--output` for commands that print data. */
export function outputOption(choices: string[], def: string): Option {
  return new Option('-o, --output <format>', 'output format').choices(choices).default(def)
}

export function usage(message: string, hint?: string): ChaosError {
  return new ChaosError('CLI_USAGE', message, hint ? { hint } : {})
}
