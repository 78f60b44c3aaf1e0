/** @module cli/doctor: `chaoscope doctor`: what this machine has, what is missing, and how to get it. */
import type { Command } from 'commander'
import { EXIT } from '../errors.js'
import { checkSystem } from '../doctor.js'
import { outputOption } from './main.js'
import type { Run } from './main.js'

export function registerDoctor(program: Command, io: Run): void {
  program
    .command('doctor')
    .description('check the tools and system packages chaoscope relies on, and say how to install what is missing')
    .addOption(outputOption(['text', 'json'], 'text'))
    .action((opts: { output: 'text' | 'json' }) => {
      const checks = checkSystem()
      if (opts.output === 'json') io.out(`${JSON.stringify(checks, null, 2)}\n`)
      else {
        for (const c of checks) {
          io.out(`${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing'}  ${c.name.padEnd(12)} ${c.detail}\n`)
          if (!c.ok) io.out(`         needed for: ${c.neededFor}\n         install: ${c.fix}\n`)
        }
      }
      io.exitCode = checks.some((c) => c.required && !c.ok) ? EXIT.FAILED : EXIT.OK
    })
}
