/** @module cli/doctor: `chaoscope doctor`: what this machine has, what is missing, and how to get it. */
import type { Command } from 'commander'
import { checkSystem, EXIT, kubePreflight } from '../index.js'
import { outputOption, targetChoice, targetOptions, usage } from './flags.js'
import type { Run } from './main.js'

export function registerDoctor(program: Command, run: Run): void {
  targetOptions(program
    .command('doctor')
    .description('check the tools and system packages chaoscope relies on, and say how to install what is missing; with --target kubernetes, check the cluster instead')
    .addOption(outputOption(['text', 'json'], 'text')))
    .option('-n, --namespace <namespace>', 'with --target kubernetes: the namespace experiments will act in (default: default, as for every other command, not the context\'s namespace)')
    .addHelpText('after', `
The checks are the runtime's own: "cgroups" is ok exactly when \`chaoscope up\`, run as this user, would enforce
services' CPU and memory limits (it creates and removes one empty cgroup to find out); "netns" is ok exactly when
pods of a service with \`network: namespace\` would get a network namespace of their own (it creates and removes one).
With --target kubernetes: the kubeconfig and context, the API server and its version, Chaos Mesh's CRDs (and its
version, from its controller's image), its controller, what the kubeconfig's user may do (SelfSubjectAccessReview)
and whether the namespace exists and Chaos Mesh may act in it. Without Chaos Mesh, PodChaos pod-kill and
NetworkChaos partition still run natively, so its checks are not required.
Exit codes: 0 everything required is there, 1 something required is missing.
Examples:
  chaoscope doctor
  chaoscope doctor --target kubernetes --context staging -n shop`)
    .action(async (opts: { output: 'text' | 'json'; target: 'local' | 'kubernetes'; kubeconfig?: string; context?: string; namespace?: string }) => {
      if (run.parseOnly) return
      const where = targetChoice(opts)
      if (where.target !== 'kubernetes' && opts.namespace !== undefined) throw usage('-n is for --target kubernetes (the namespace experiments will act in)')
      const checks = where.target === 'kubernetes' ? await kubePreflight({ ...where, ...(opts.namespace ? { namespace: opts.namespace } : {}) }) : await checkSystem()
      if (opts.output === 'json') run.out(`${JSON.stringify(checks, null, 2)}\n`)
      else {
        for (const c of checks) {
          run.out(`${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing'}  ${c.name.padEnd(12)} ${c.detail}\n`)
          if (!c.ok) run.out(`         needed for: ${c.neededFor}\n         ${opts.target === 'kubernetes' ? 'fix' : 'install'}: ${c.fix}\n`)
        }
      }
      run.exitCode = checks.some((c) => c.required && !c.ok) ? EXIT.FAILED : EXIT.OK
    })
}
