/** @module cli/doctor: `chaoscope doctor`: what this machine has, what is missing, and how to get it. */
import type { Command } from 'commander'
import { checkSystem, EXIT } from '../index.js'
import { outputOption } from './flags.js'
import type { Run } from './main.js'

export function registerDoctor(program: Command, run: Run): void {
  program
    .command('doctor')
    .description('check the tools and system packages chaoscope relies on, and say how to install what is missing')
    .addOption(outputOption(['text', 'json'], 'text'))
    .addHelpText('after', `
The checks are the runtime's own: "cgroups" is ok exactly when \`chaoscope up\`, run as this user, would enforce
services' CPU and memory limits (it creates and removes one empty cgroup to find out); "netns" is ok exactly when
pods of a service with \`network: namespace\` would get a network namespace of their own (it creates and removes one).
Exit codes: 0 everything required is there, 1 something required is missing.`)
    .action(async (opts: { output: 'text' | 'json' }) => {
      if (run.parseOnly) return
      const checks = await checkSystem()
      if (opts.output === 'json') run.out(`${JSON.stringify(checks, null, 2)}\n`)
      else {
        for (const c of checks) {
          run.out(`${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing'}  ${c.name.padEnd(12)} ${c.detail}\n`)
          if (!c.ok) run.out(`         needed for: ${c.neededFor}\n         install: ${c.fix}\n`)
        }
      }
      run.exitCode = checks.some((c) => c.required && !c.ok) ? EXIT.FAILED : EXIT.OK
    })
}
