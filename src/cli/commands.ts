/**
 * @module cli/commands: every command's name, arguments, flags and help, defined at start-up (cheap); each verb's
 * code is imported only when the command runs, so `--help` or `get pods` never loads the schemas or the controller.
 */
import { Option } from 'commander'
import type { Command } from 'commander'
import { experimentSchema, parseDuration } from '../index.js'
import { outputOption, port, selector, targetOptions, usage, wholeNumber } from './flags.js'
import type { Run } from './main.js'

/** The verb behind a command: loaded on first use, skipped when only parsing. */
function act<A extends unknown[]>(run: Run, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    if (run.parseOnly) return
    await fn(...args)
  }
}

const maxFileSize = (): Option =>
  new Option('--max-file-size <bytes>', 'largest file read, in bytes (default 1 MiB)').argParser(wholeNumber('--max-file-size', { unit: 'bytes' }))

/** A duration flag as Go (and kube-apiserver's --event-ttl) reads it: 168h, 90m, 1h30m; 0 turns the limit off. */
function durationFlag(flag: string): (v: string) => number {
  return (v) => {
    const ms = parseDuration(v.trim())
    if (ms === undefined || ms < 0) throw usage(`${flag} expects a duration like 168h, 30m or 1h30m (0: no limit), got "${v}"`)
    return ms
  }
}

/** A duration above zero: 30s, 1m, 1h30m, 250ms. */
function positiveDuration(flag: string): (v: string) => number {
  return (v) => {
    const ms = parseDuration(v.trim())
    if (ms === undefined || ms <= 0) throw usage(`${flag} expects a duration above zero like 30s, 2m or 1m30s, got "${v}"`)
    return ms
  }
}

function workersFlag(v: string): number {
  const n = wholeNumber('--workers')(v)
  if (n > 64) throw usage(`--workers expects 1 to 64 threads, got ${n}`)
  return n
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v]

/** Seconds above zero, as a number: 1, 0.5, 2.5. */
function positiveSeconds(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v.trim())
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw usage(`${flag} expects a number of seconds above zero like 1 or 0.5, got "${v}"`)
    return n
  }
}

/** `--log-max-size`: bytes, at least 1024 (a smaller log would rotate at every line). */
function logSize(v: string): number {
  const n = wholeNumber('--log-max-size', { unit: 'bytes' })(v)
  if (n < 1024) throw usage(`--log-max-size expects at least 1024 bytes, got "${v}"`)
  return n
}

/** How much history the controller keeps: on `up` and `server`; left out, the controller's defaults. */
function addRetention(cmd: Command): Command {
  return cmd
    .addOption(new Option('--event-ttl <duration>', 'how long the events of deleted experiments are kept (default 168h; 0: no limit)').argParser(durationFlag('--event-ttl')))
    .addOption(new Option('--max-events <n>', 'most events kept; over it the oldest of deleted experiments go first (default 10000; 0: no limit)').argParser(wholeNumber('--max-events', { zeroOk: true })))
    .addOption(new Option('--archive-ttl <duration>', 'how long deleted experiments stay in the archive (default 336h; 0: no limit)').argParser(durationFlag('--archive-ttl')))
    .addOption(new Option('--max-archived <n>', 'most deleted experiments kept in the archive, the oldest going first (default 1000; 0: no limit)').argParser(wholeNumber('--max-archived', { zeroOk: true })))
}

const list = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')]

/** Who may reach the APIs and what experiments may touch: on `up` and `server` (also in a --config file; a flag wins). */
function addAccess(cmd: Command): Command {
  return cmd
    .option('--listen <host:port>', 'the address the APIs listen on (default 127.0.0.1; 0.0.0.0:4000 for a team: tokens are then required)')
    .addOption(new Option('--auth <mode>', 'token: every API call carries a token (the CLI sends the local admin token); none: no token, allowed on loopback only').choices(['token', 'none']))
    .option('--allowed-namespaces <ns,...>', 'the only namespaces experiments may be in or reach (default: every namespace)', list)
    .option('--protected-namespaces <ns,...>', 'namespaces no experiment may be in or reach, whoever sends it', list)
    .option('--allowed-hosts <name,...>', 'Host names the APIs answer besides IP addresses, localhost and this machine\'s name', list)
    .option('--cors-origin <origin>', 'a browser origin allowed to call the APIs, e.g. https://dash.example (repeatable; none by default)', collect)
    .option('--config <file>', 'a server config file (YAML): listen, auth, allowedNamespaces, protectedNamespaces, allowedHosts, corsOrigins')
}

const ACCESS_HELP = `Access: every call to the APIs carries a token (\`Authorization: Bearer\`); the local admin token is kept in
$CHAOSCOPE_HOME/token (0600) and the CLI sends it, so nothing changes for the local user. \`chaoscope token create\`
makes tokens for others (viewer, operator, admin, limited to namespaces); every mutating call is in \`chaoscope audit\`.`

const RETENTION_HELP = `Retention: the events of an experiment are kept while it exists (its status and \`describe\` read them); once
it is deleted they go after --event-ttl, or sooner when there are more than --max-events events in all. Deleted
experiments are archived with their records and events, and leave the archive after --archive-ttl or beyond
--max-archived. Pruning runs at start and every minute, in short batches (100 events each).`

export function registerCommands(program: Command, run: Run): void {
  program
    .command('validate')
    .description('check Chaos Mesh, Chaos Toolkit and chaoscope files; report every problem with file:line:col')
    .option('-f, --filename <path...>', 'file, directory (searched recursively for *.yaml, *.yml, *.json) or - for stdin')
    .addOption(outputOption(['text', 'json'], 'text'))
    .option('--show-defaults', 'print the resources with the defaults Chaos Mesh applies (YAML, or JSON with -o json)')
    .addOption(maxFileSize())
    .addHelpText('after', `
Exit codes: 0 all valid, 2 any problem (or a usage error).
Examples:
  chaoscope validate -f examples/
  chaoscope validate -f delay.yaml -o json
  cat delay.yaml | chaoscope validate -f - --show-defaults`)
    .action(act(run, async (opts: { filename?: string[]; output: 'text' | 'json'; showDefaults?: boolean; maxFileSize?: number }) => {
      await (await import('./verbs/validate.js')).validate(opts, run)
    }))

  addAccess(addRetention(program
    .command('up')
    .description('run an App\'s services as local pods behind sidecar proxies (foreground; Ctrl-C stops everything)')
    .requiredOption('-f, --filename <file>', 'the App file (chaoscope.dev/v1alpha1, kind App)')
    .option('-d, --detach', 'start in the background and return once every pod is ready')
    .option('--timeout <seconds>', 'how long to wait for every pod to be ready (with --detach: exit 1 past it, naming the pods that are not)', wholeNumber('--timeout', { unit: 'seconds' }), 60)
    .addOption(new Option('--ready-timeout <seconds>', 'the former name of --timeout').argParser(wholeNumber('--ready-timeout', { unit: 'seconds' })).hideHelp())
    .addOption(new Option('--control-port <port>', 'port of the control API on 127.0.0.1 (0: any free port); --listen sets the address and port').argParser(port('--control-port')).default(0))
    .option('--db <file>', 'the controller\'s SQLite file (default $CHAOSCOPE_HOME/chaoscope.db)')
    .option('--allow-exec', 'let Workflow Task templates run their container\'s command as a local process (refused otherwise)')
    .addOption(new Option('--host-ports <mode>', 'fixed: listen on each service\'s hostPort; ephemeral: on any free port (printed)').choices(['fixed', 'ephemeral']).default('fixed'))
    .addOption(new Option('--log-max-size <bytes>', 'with --detach: rotate $CHAOSCOPE_HOME/runtime.log once it is larger than this (at least 1024)').argParser(logSize).default(10 * 1024 * 1024, '10485760'))
    .addOption(new Option('--log-max-files <n>', 'with --detach: rotated logs kept, runtime.log.1 the newest (0: only truncate)').argParser(wholeNumber('--log-max-files', { zeroOk: true })).default(5))
    .addOption(new Option('--log-file <path>', 'the log --detach writes to (set by --detach for the runtime it starts)').hideHelp())))
    .addHelpText('after', `
The controller runs beside the runtime: its API (/api/v1) is served on the control API's port, so that
\`chaoscope apply\`, \`get\`, \`describe\` and \`delete\` work against it.
${ACCESS_HELP}
The runtime keeps its state in $CHAOSCOPE_HOME (default ~/.chaoscope); one runtime per state directory.
Ctrl-C (or SIGTERM) stops every pod and removes the state files, also while the pods are still starting.
With --detach the runtime writes its log to $CHAOSCOPE_HOME/runtime.log; past --log-max-size it is copied to
runtime.log.1 (the older copies shifted to .2 ... up to --log-max-files) and started again. A new \`up --detach\`
moves the last run's log to runtime.log.1 the same way.
${RETENTION_HELP}
Exit codes: 0 ok (also after Ctrl-C), 1 failed (already running, a port in use; with --detach, pods not ready within
--timeout: the runtime keeps running so that \`chaoscope logs POD\` can tell why), 2 an invalid App file.
Examples:
  chaoscope up -f demo/chain/app.yaml
  chaoscope up -f demo/shop/app.yaml --detach && chaoscope get pods
  chaoscope up -f demo/chain/app.yaml --detach --log-max-size 1048576 --log-max-files 3
  chaoscope up -f demo/chain/app.yaml --event-ttl 24h --max-events 50000
  chaoscope up -f demo/chain/app.yaml --allowed-namespaces default,staging --protected-namespaces prod`)
    .action(act(run, async (opts: UpFlags) => {
      await (await import('./verbs/runtime.js')).up(opts, run)
    }))

  program
    .command('demo')
    .description('chaos engineering end to end on this machine: a demo app, its load, dashboard, fault scenarios and their report')
    .argument('[app]', 'the demo app: shop, chain or movies', 'shop')
    .option('--once', 'exit after the report, with the verdict\'s exit code (otherwise the app keeps running until Ctrl-C)')
    .option('--fast', 'every duration, deadline and window × 0.3 (the shop in about 100 s; for tests and a quick look)')
    .option('--report <file>', 'the report file: .html, .json or .md (default chaoscope-demo-APP.html here)')
    .addOption(new Option('--host-ports <mode>', 'fixed: the app\'s hostPorts (the shop on http://127.0.0.1:30090/); ephemeral: any free ports (printed)').choices(['fixed', 'ephemeral']).default('fixed'))
    .addHelpText('after', `
Starts the app on the local runtime (as \`chaoscope up\`) with its controller and dashboard, whose URL and login
token are printed, and sends the app's user flow as steady load (as \`chaoscope load -f\`). Then it runs the app's
experiment files as \`chaoscope run\` does. The shop's four scenarios (examples/demo/shop/scenarios.yaml: kill
checkout, 1000 ms to the catalog, CPU on recommendation, 10% slow 500s from ad) are the steps of one Workflow,
with the hypothesis on the frontend checked every 5 s. Each step's verdict comes from the checks made in its time.
The chain's and the movies' experiments (examples/experiments/, examples/demo/movies/) run one after another.
Each scenario's verdict and time to recover are printed, and one report of them all is written. Everything runs in
$CHAOSCOPE_HOME, or in a new directory removed at the end. Ctrl-C stops everything: faults removed, pods and load
stopped, no state file left.
Exit codes: 0 every scenario held, 1 a scenario deviated or could not run, or the demo failed; 2 a usage error.
Examples:
  chaoscope demo
  chaoscope demo --once
  chaoscope demo shop --once --fast --report demo.html
  chaoscope demo chain
  chaoscope demo movies --once`)
    .action(act(run, async (app: string | undefined, opts: DemoFlags) => {
      await (await import('./verbs/demo.js')).demo(app, opts, run)
    }))

  addRetention(program
    .command('proxy')
    .description('proxy mode: serve Toxiproxy\'s HTTP API, with fault proxies in front of services that already run (foreground)')
    .option('--host <host>', 'address of the Toxiproxy API', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port of the Toxiproxy API (0: any free port)').argParser(port('--port')).default(8474))
    .option('--config <file>', 'Toxiproxy\'s JSON config: a list of proxies {name, listen, upstream, enabled} made at start')
    .option('-f, --filename <file>', 'an App file: its proxies (and services) start with it')
    .option('--allow-remote', 'let proxies forward to addresses off this machine (default: loopback and localhost only)')
    .addOption(new Option('--control-port <port>', 'port of the runtime\'s control API on 127.0.0.1 (0: any free port)').argParser(port('--control-port')).default(0))
    .option('--db <file>', 'the controller\'s SQLite file (default $CHAOSCOPE_HOME/chaoscope.db)'))
    .addHelpText('after', `
Toxiproxy's clients and the tests that use them work unchanged (checked with its Go and Python clients and
toxiproxy-cli): the API has Toxiproxy 2.12's routes, JSON, status codes and errors, and every toxic (latency,
bandwidth, slow_close, timeout, reset_peer, slicer, limit_data), with toxicity rolled once per connection.
Each proxy is also a pod (named as the proxy, labelled app: <name>): NetworkChaos and HTTPChaos select it, so
\`chaoscope apply\` and \`chaoscope run\` act on services nobody started with \`up\`.
One runtime per $CHAOSCOPE_HOME: \`chaoscope get pods\` lists the proxies, \`chaoscope down\` stops it.
Exit codes: 0 ok (also after Ctrl-C), 1 failed (a port in use, already running), 2 an invalid App file or config.
Examples:
  chaoscope proxy
  chaoscope proxy --port 8474 --config toxiproxy.json
  chaoscope proxy -f examples/proxy/redis-proxies.yaml   # then: chaoscope apply -f examples/proxy/redis-latency.yaml`)
    .action(act(run, async (opts: ProxyFlags) => {
      await (await import('./verbs/proxy.js')).proxy(opts, run)
    }))

  program
    .command('logs')
    .description('print the logs of a pod (stdout and stderr, with timestamps)')
    .argument('<pod>', 'pod name, as `chaoscope get pods` shows it')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--tail <lines>', 'only the last N lines', wholeNumber('--tail', { zeroOk: true, unit: 'lines' }))
    .addHelpText('after', `
Examples:
  chaoscope logs middle-x7k2p --tail 20
  chaoscope logs middle-x7k2p -f`)
    .action(act(run, async (pod: string, opts: { follow?: boolean; tail?: number }) => {
      await (await import('./verbs/runtime.js')).logs(pod, opts, run)
    }))

  program
    .command('down')
    .description('stop the local runtime: every pod gracefully, then the sidecars')
    .option('--timeout <seconds>', 'how long to wait for it to stop', wholeNumber('--timeout', { unit: 'seconds' }), 60)
    .addHelpText('after', `
Exit codes: 0 stopped, 1 nothing running or still stopping after --timeout.`)
    .action(act(run, async (opts: { timeout: number }) => {
      await (await import('./verbs/runtime.js')).down(opts, run)
    }))

  targetOptions(program
    .command('apply'))
    .description('create or update Chaos Mesh resources on the controller (all or nothing); prints created, configured or unchanged per object')
    .option('-f, --filename <path...>', 'file, directory (searched recursively for *.yaml, *.yml, *.json) or - for stdin')
    .option('--dry-run', 'validate, and show what would be selected and injected; change nothing')
    .addOption(maxFileSize())
    .addHelpText('after', `
Every document is validated first; if any is invalid or refused (immutable spec, a kind the local runtime cannot run,
a selector matching no pod), nothing is applied. Exit codes: 0 applied, 1 refused by the controller, 2 invalid input.
Examples:
  chaoscope apply -f examples/chain-partition.yaml
  chaoscope apply -f experiments/ --dry-run`)
    .action(act(run, async (opts: { filename?: string[]; dryRun?: boolean; maxFileSize?: number } & TargetFlags) => {
      await (await import('./verbs/experiments.js')).apply(opts, run)
    }))

  targetOptions(program
    .command('get'))
    .description('list experiments (or pods): get <kind|all|pods> [NAME]')
    .argument('<type>', 'podchaos, networkchaos, httpchaos, ... (singular, plural or short name), all, or pods')
    .argument('[name]', 'one object by name')
    .option('-n, --namespace <namespace>', 'namespace (default: "default"; for pods: every namespace)')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-l, --selector <selector>', 'label selector, e.g. team=payments,env!=prod or \'env in (dev,qa)\'', selector)
    .addOption(outputOption(['table', 'wide', 'yaml', 'json'], 'table'))
    .option('-w, --watch', 'after the list, print each change until interrupted')
    .addHelpText('after', `
Pods: -o json|yaml prints Kubernetes v1 Pod objects in a List (process id, ports and sidecar address in the
chaoscope.dev/* annotations); -o wide adds ADDRESS (the pod's ingress sidecar, where callers reach it), PORT (the
port its process listens on) and PID.
Examples:
  chaoscope get networkchaos
  chaoscope get all -A -o wide
  chaoscope get nc delay -o yaml
  chaoscope get pods -l app=middle
  chaoscope get pods -o json`)
    .action(act(run, async (type: string, name: string | undefined, opts: GetFlags) => {
      if (['pods', 'pod', 'po'].includes(type.toLowerCase())) {
        if (opts.target === 'kubernetes') throw usage('get pods lists the local runtime\'s pods; a cluster\'s pods are kubectl\'s', 'kubectl get pods -n NAMESPACE')
        await (await import('./verbs/runtime.js')).getPods(name, opts, run)
      }
      else await (await import('./verbs/experiments.js')).get(type, name, opts, run)
    }))

  targetOptions(program
    .command('describe'))
    .description('show one experiment in detail (spec, conditions, per-target records with their evidence, events), or one pod of the local runtime (its network, status, last exit, limits)')
    .argument('<type>', 'resource type, e.g. networkchaos, or pod')
    .argument('<name>', 'its name')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .addHelpText('after', `
Examples:
  chaoscope describe networkchaos delay
  chaoscope describe pod web-x7k2p`)
    .action(act(run, async (type: string, name: string, opts: { namespace: string } & TargetFlags) => {
      if (['pod', 'pods', 'po'].includes(type.toLowerCase())) {
        if (opts.target === 'kubernetes') throw usage('describe pod shows the local runtime\'s pods; a cluster\'s pods are kubectl\'s', `kubectl describe pod ${name}`)
        await (await import('./verbs/runtime.js')).describePod(name, run)
      }
      else await (await import('./verbs/experiments.js')).describe(type, name, opts, run)
    }))

  targetOptions(program
    .command('delete'))
    .description('delete experiments: every target is recovered, then the object goes (delete <kind> <name> | -f FILE)')
    .argument('[type]', 'resource type, e.g. networkchaos')
    .argument('[names...]', 'names')
    .option('-f, --filename <path...>', 'delete the resources these files describe')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('--ignore-not-found', 'treat an object that does not exist as deleted (exit 0, nothing printed for it)')
    .option('--no-wait', 'return once deletion started, without waiting for the targets to be recovered')
    .option('--timeout <seconds>', 'how long to wait for recovery', wholeNumber('--timeout', { unit: 'seconds' }), 60)
    .option('--force', 'with --target kubernetes: let Chaos Mesh drop its finalizer without recovering (annotation chaos-mesh.chaos-mesh.org/cleanFinalizer=forced); the targets may keep the fault')
    .addHelpText('after', `
On Kubernetes the object stays until Chaos Mesh has recovered every target (its finalizer chaos-mesh/records);
when Chaos Mesh cannot (its controller or the pods are gone), --force removes it anyway.
Exit codes: 0 deleted, 1 not found (without --ignore-not-found) or not recovered in time, 2 usage or an invalid file.
Examples:
  chaoscope delete networkchaos delay
  chaoscope delete -f delay.yaml --ignore-not-found`)
    .action(act(run, async (type: string | undefined, names: string[], opts: DeleteFlags) => {
      await (await import('./verbs/experiments.js')).remove(type, names, opts, run)
    }))

  for (const verb of ['pause', 'resume'] as const) {
    targetOptions(program
      .command(verb))
      .description(verb === 'pause' ? 'pause an experiment: its faults are recovered until it is resumed (annotation experiment.chaos-mesh.org/pause)' : 'resume a paused experiment')
      .argument('<type>', 'resource type, e.g. networkchaos')
      .argument('<name>', 'its name')
      .option('-n, --namespace <namespace>', 'namespace', 'default')
      .addHelpText('after', `
Examples:
  chaoscope ${verb} networkchaos delay`)
      .action(act(run, async (type: string, name: string, opts: { namespace: string } & TargetFlags) => {
        await (await import('./verbs/experiments.js')).pauseOrResume(verb, type, name, opts, run)
      }))
  }

  targetOptions(program
    .command('events'))
    .description('list events: what the controller did, and why')
    .option('--for <kind/name>', 'only the events of one object, e.g. networkchaos/delay')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(outputOption(['table', 'yaml', 'json'], 'table'))
    .option('-w, --watch', 'keep printing new events until interrupted')
    .addHelpText('after', `
Examples:
  chaoscope events --for networkchaos/delay
  chaoscope events -A -w`)
    .action(act(run, async (opts: EventsFlags) => {
      await (await import('./verbs/experiments.js')).events(opts, run)
    }))

  program
    .command('load')
    .description('send HTTP load to a URL: a constant, ramped or stepped arrival rate (open model) or N users as fast as they can (closed)')
    .argument('[url]', 'the target, http:// on this machine (with -f: the base of the flows\' paths; default the profile\'s target)')
    .option('-r, --rate <rate>', 'open model: requests (or flow iterations) per second: 500, a ramp 100:1000/30s, steps 100,500,1000/10s')
    .option('--stages <file>', 'open model: a stages file (a list of {duration, target} ramps or {duration, rate} holds)')
    .addOption(new Option('-c, --connections <n>', 'closed model (no rate): virtual users, one connection each (default 10); open model: most connections opened (default 200)').argParser(wholeNumber('--connections')))
    .addOption(new Option('-d, --duration <duration>', 'how long to send (default 10s, or until --requests or the stages end)').argParser(positiveDuration('--duration')))
    .addOption(new Option('-n, --requests <n>', 'stop after this many requests (flow iterations with -f)').argParser(wholeNumber('--requests')))
    .option('-m, --method <method>', 'HTTP method (default GET, or POST with --body)')
    .option('-H, --header <header>', 'a request header "Name: value" (repeatable)', collect)
    .option('--body <file>', 'the request body, read from a file (- for stdin)')
    .addOption(new Option('--timeout <duration>', 'per request, from its write to the end of its response (default 30s)').argParser(positiveDuration('--timeout')))
    .option('-f, --filename <file>', 'a LoadProfile file: scripted user flows with think times (chaoscope.dev/v1alpha1)')
    .addOption(new Option('--workers <n>', 'worker threads sending, 1 to 64 (default: one less than the cores, at least 1)').argParser(workersFlag))
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics on http://host:port/metrics while the run goes')
    .option('--allow-remote', 'allow a target that is not on this machine (loopback only by default)')
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(outputOption(['text', 'json'], 'text'))
    .addHelpText('after', `
Latency is measured from each request's intended send time, so a server that stalls shows in the
percentiles (no coordinated omission); the service time beside it counts from the actual write. In the open
model a request waits for a free connection when all are busy (its wait counts in its latency); one sent
more than 10 ms late counts as late, one that finds no connection before --timeout as dropped (dropped ones
count against success). The run stops by itself: it starts requests (or flow iterations) until --duration or
--requests, then lets what it started end (each request at most --timeout). Ctrl-C stops it early and prints
what was measured.
Exit codes: 0 done, 1 no request succeeded (or none was sent), 2 usage or an invalid file.
Examples:
  chaoscope load http://127.0.0.1:30090/ --rate 200 --duration 30s
  chaoscope load http://127.0.0.1:8080/api --rate 100:1000/1m -o json
  chaoscope load http://127.0.0.1:8080/ -c 50 -d 10s
  chaoscope load -f examples/load/shop.yaml --rate 5 --duration 1m`)
    .action(act(run, async (url: string | undefined, opts: LoadFlags) => {
      await (await import('./verbs/load.js')).load(url, opts, run)
    }))

  program
    .command('prometheus-config')
    .description('print a Prometheus scrape configuration for what runs here: the controller, the runtime (with every sidecar\'s metrics) and load generators')
    .option('--token-file <file>', 'the file Prometheus reads the bearer token from at each scrape (default $CHAOSCOPE_HOME/token, the admin token)')
    .option('--runtime-token-file <file>', 'the file the runtime job reads its bearer token from (default: the --token-file one)')
    .option('--scrape-interval <duration>', 'how often Prometheus scrapes, a Prometheus duration (default 5s)')
    .option('--load <host:port>', 'a load generator\'s --metrics-addr (repeatable); running `chaoscope load --metrics-addr` are found without it', collect)
    .option('--rules <path>', 'alert rules listed as rule_files: a file, or a directory\'s .yml files but *.test.yml (deploy/prometheus)')
    .addHelpText('after', `
The controller and runtime jobs send the token in --token-file (Prometheus re-reads it at every scrape); make
a read-only one with \`chaoscope token create prom --role viewer\` and save it in a file of its own (0600).
The runtime job sends --runtime-token-file instead when given: the runtime's /metrics takes its own token
(runtime.json's, new at each start) or one of the controller \`chaoscope up\` runs in it.
Examples:
  chaoscope prometheus-config --rules deploy/prometheus | tee prometheus.yml
  chaoscope prometheus-config --token-file ~/.config/prom-token --scrape-interval 15s --load 127.0.0.1:9464
  chaoscope prometheus-config --token-file ~/.config/prom-token --runtime-token-file ~/.config/runtime-token`)
    .action(act(run, async (opts: PrometheusConfigFlags) => {
      await (await import('./verbs/prometheus.js')).prometheusConfigVerb(opts, run)
    }))

  targetOptions(program
    .command('run'))
    .description('run a Chaos Toolkit experiment: the steady-state hypothesis before, during and after its method, rollbacks, a verdict and a journal')
    .argument('<experiment>', 'a Chaos Toolkit experiment file (JSON or YAML)')
    .addOption(new Option('--rollback-strategy <strategy>', 'when rollbacks run: default (not after a failed or interrupted run), always, never, deviated').choices(['default', 'always', 'never', 'deviated']))
    .addOption(new Option('--hypothesis-strategy <strategy>', 'when the hypothesis runs').choices(['default', 'before-method-only', 'after-method-only', 'during-method-only', 'continuously', 'continously']))
    .addOption(new Option('--hypothesis-frequency <seconds>', 'seconds between two runs of the hypothesis during the method (default 1)').argParser(positiveSeconds('--hypothesis-frequency')))
    .option('--fail-fast', 'during-method-only / continuously: end the method at the first deviation')
    .option('--var <key[:type]=value>', 'a configuration value (type str, int, float, bytes, bool, json); repeatable', collect)
    .option('--var-file <file>', 'configuration and secrets from a JSON or YAML file, or environment variables from a .env file; repeatable', collect)
    .option('--journal-path <file>', 'where the journal is written', './journal.json')
    .addOption(new Option('--dry <mode>', 'run without executing: probes, actions, activities, or pause (no pauses)').choices(['probes', 'actions', 'activities', 'pause']))
    .option('--no-validation', 'do not check the experiment before running it (syntax errors still stop it)')
    .option('--no-verify-tls', 'accept any TLS certificate in http activities')
    .option('--settings <file>', 'a Chaos Toolkit settings file (default ~/.chaostoolkit/settings.yaml when it exists; its runtime strategies are read)')
    .option('--control-file <file>', 'global controls (refused: chaoscope runs only the safeguards control written in the experiment)', collect)
    .option('--allow-exec', 'let process activities and Python activities of your own (through python3) run; refused before the run otherwise')
    .option('--junit <file>', 'also write a JUnit XML report: a testcase per probe and phase')
    .option('--report <file>', 'also write a report of the run: .html (one self-contained file with charts), .json or .md')
    .option('-q, --quiet', 'no progress lines on stderr (warnings still)')
    .addOption(outputOption(['text', 'json'], 'text'))
    .addHelpText('after', `
Chaos Toolkit's run loop: the steady-state hypothesis before the method (not met: the method is skipped), the
method's activities in order (background ones beside them), the hypothesis after it (not met: deviated), then the
rollbacks as the strategy says. The journal (--journal-path) has Chaos Toolkit's structure, so tools that read
Chaos Toolkit journals read it. Activities that act on pods, sidecars or Chaos Mesh resources need a controller
(chaoscope up); chaosk8s, chaosprometheus and chaoscope.* Python activities are implemented by chaoscope.
Ctrl-C or SIGTERM interrupts: the journal says interrupted, rollbacks run as the strategy says (a second signal
skips the remaining ones), and the journal is written. With a controller running, the run is kept by it (for
\`chaoscope report\` and the score across runs) and --report charts the traffic it recorded during the run.
Exit codes: 0 completed, not deviated and the steady state held before; 1 deviated, failed, aborted,
interrupted, or not in its steady state before the method; 2 an invalid experiment, an activity that cannot run
here, or a usage error.
Examples:
  chaoscope run experiment.json
  chaoscope run experiment.yaml --var front_url=http://127.0.0.1:30080/ --junit report.xml
  chaoscope run experiment.json --hypothesis-strategy continuously --hypothesis-frequency 2 --fail-fast
  chaoscope run experiment.json --allow-exec --rollback-strategy always -o json
  chaoscope run experiment.json --report report.html`)
    .action(act(run, async (file: string, opts: RunCommandFlags) => {
      await (await import('./verbs/run.js')).run(file, opts, run)
    }))

  program
    .command('report')
    .description('what the faults of a time range did: latency, errors and throughput per edge with the fault windows, time to recover, per-service impact, runs with their verdicts and scores')
    .option('--since <duration>', 'the range ending now (or at --to): 15m, 2h, 90s')
    .option('--from <time>', 'the range from this ISO time (to --to, default now)')
    .option('--to <time>', 'the range\'s end, an ISO time')
    .option('--run <id>', 'only this run (its id is printed by chaoscope run), with the minute before it', wholeNumber('--run'))
    .option('--title <text>', 'the report\'s title')
    .option('-o, --output <file|format>', 'report.html, report.json or report.md (written there), or html, json, md (printed); default md')
    .addHelpText('after', `
Built by the controller from what it recorded: each sidecar's requests and latency every second (kept 24 h), the
fault windows of the experiments (live and archived), the runs of chaoscope run, and the traces the sidecars kept
of failing and faulted requests (when tracing is on). The HTML file is self-contained: its charts are SVG, it
loads nothing.
Examples:
  chaoscope report --since 15m -o report.html
  chaoscope report --from 2026-12-04T10:00:00Z --to 2026-12-04T10:30:00Z -o report.json
  chaoscope report --run 3 -o md`)
    .action(act(run, async (opts: ReportFlags) => {
      await (await import('./verbs/report.js')).report(opts, run)
    }))

  program
    .command('schema')
    .description('print a JSON Schema, for editors: `experiment` (Chaos Toolkit\'s experiment format, as chaoscope checks it)')
    .argument('<what>', 'experiment')
    .addHelpText('after', `
Examples:
  chaoscope schema experiment`)
    .action(act(run, async (what: string) => {
      if (what !== 'experiment') throw usage(`unknown schema ${JSON.stringify(what)}`, 'chaoscope schema experiment')
      run.out(`${JSON.stringify(await experimentSchema(), null, 2)}\n`)
    }))

  addAccess(addRetention(program
    .command('server')
    .description('run the controller and its API (/api/v1), on 127.0.0.1 unless --listen says otherwise, for a local runtime already up (foreground)')
    .option('--runtime <url>', 'the runtime control API (default: the one $CHAOSCOPE_HOME/runtime.json names)')
    .option('--db <file>', 'the SQLite file keeping experiments, records and events (default $CHAOSCOPE_HOME/chaoscope.db)')
    .option('--allow-exec', 'let Workflow Task templates run their container\'s command as a local process (refused otherwise)')
    .option('--runtime-token-file <file>', 'a file holding the runtime\'s token (default: runtime.json\'s, or $CHAOSCOPE_RUNTIME_TOKEN)')
    .addOption(new Option('--port <port>', 'port on 127.0.0.1 (0: any free port); --listen sets the address and port').argParser(port('--port')).default(0))
    .addOption(new Option('--target <target>', 'local (default: experiments on the local runtime) or kubernetes (the API over a cluster\'s Chaos Mesh resources; the config file\'s target:)').choices(['local', 'kubernetes']))
    .option('--kubeconfig <file>', 'with --target kubernetes: the kubeconfig (default $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'with --target kubernetes: a context of the kubeconfig (default its current-context)')))
    .addHelpText('after', `
With --target kubernetes (or target: kubernetes in --config), /api/v1 serves the Chaos Mesh resources of the
cluster the kubeconfig names: apply, get, watch, pause, resume, delete and events act there, with this server's
tokens, roles, namespace policy and audit log (kept in --db); no runtime is needed, and pods are the cluster's.
Ctrl-C or SIGTERM stops the controller without recovering anything (stopping is not deleting): faults stay
until their experiments end, and a controller started again on the same database carries on.
${ACCESS_HELP}
${RETENTION_HELP}
Examples:
  chaoscope up -f demo/chain/app.yaml --detach && chaoscope server
  chaoscope server --runtime http://127.0.0.1:41234 --db /tmp/chaos.db --port 8080
  chaoscope server --event-ttl 1h --max-events 0 --archive-ttl 720h --max-archived 100
  chaoscope server --listen 0.0.0.0:4000 --protected-namespaces prod,kube-system
  chaoscope server --target kubernetes --context staging --port 4000`)
    .action(act(run, async (opts: ServerFlags) => {
      await (await import('./verbs/server.js')).server(opts, run)
    }))

  const token = program.command('token').description('make, list and revoke API tokens (admin)')
  token
    .command('create')
    .description('make a token and print it once (its last line is the token)')
    .argument('<name>', 'a name for it (lowercase letters, digits, "-", "_" and ".")')
    .addOption(new Option('--role <role>', 'viewer reads; operator also creates, pauses, resumes and deletes; admin also manages tokens and reads the audit log').choices(['viewer', 'operator', 'admin']).makeOptionMandatory())
    .option('--namespace <ns...>', 'limit it to these namespaces (default: every namespace)')
    .option('--expires <duration>', 'it stops working after this long: 30d, 12h, 90m (default: never)')
    .addOption(outputOption(['text', 'json'], 'text'))
    .addHelpText('after', `
Only the token's SHA-256 is kept: it cannot be shown again. Give it to its user as CHAOSCOPE_TOKEN.
Examples:
  chaoscope token create ci --role operator --namespace staging --expires 30d
  CHAOSCOPE_TOKEN=$(chaoscope token create grafana --role viewer | tail -n 1)`)
    .action(act(run, async (name: string, opts: TokenCreateFlags) => {
      await (await import('./verbs/access.js')).tokenCreate(name, opts, run)
    }))
  token
    .command('list')
    .description('list the tokens: name, role, namespaces, state, last use (never the tokens)')
    .addOption(outputOption(['table', 'json'], 'table'))
    .action(act(run, async (opts: { output: 'table' | 'json' }) => {
      await (await import('./verbs/access.js')).tokenList(opts, run)
    }))
  token
    .command('revoke')
    .description('revoke a token: calls with it get 401 from now on')
    .argument('<name>', 'the token\'s name')
    .action(act(run, async (name: string) => {
      await (await import('./verbs/access.js')).tokenRevoke(name, run)
    }))
  token
    .command('whoami')
    .description('the name, role and namespaces of the token the CLI sends')
    .action(act(run, async () => {
      await (await import('./verbs/access.js')).whoami(run)
    }))

  program
    .command('audit')
    .description('the audit log (admin): every mutating call to the APIs, who made it, from where, and its result')
    .option('--since <duration|time>', 'only calls since then: 15m, 2h, or an ISO time')
    .option('--until <time>', 'only calls before this ISO time')
    .option('--actor <name>', 'only calls made with this token')
    .addOption(outputOption(['table', 'json', 'jsonl'], 'table'))
    .addHelpText('after', `
-o jsonl prints one JSON object per line (for a log shipper). Nothing can edit the audit log through the API.
Examples:
  chaoscope audit --since 1h
  chaoscope audit -o jsonl | tee -a audit.jsonl`)
    .action(act(run, async (opts: AuditFlags) => {
      await (await import('./verbs/access.js')).audit(opts, run)
    }))
}

export interface TokenCreateFlags { role: 'viewer' | 'operator' | 'admin'; namespace?: string[]; expires?: string; output: 'text' | 'json' }
export interface AuditFlags { since?: string; until?: string; actor?: string; output: 'table' | 'json' | 'jsonl' }
/** `--listen`, `--auth`, namespaces, hosts and origins, `--config`: on `up` and `server`. */
export interface AccessFlags { listen?: string; auth?: 'token' | 'none'; allowedNamespaces?: string[]; protectedNamespaces?: string[]; allowedHosts?: string[]; corsOrigin?: string[]; config?: string }

/** The retention flags of `up` and `server`: milliseconds and counts, absent when not given. */
export interface RetentionFlags { eventTtl?: number; maxEvents?: number; archiveTtl?: number; maxArchived?: number; allowExec?: boolean }
export interface UpFlags extends RetentionFlags, AccessFlags {
  filename: string; detach?: boolean; timeout: number; readyTimeout?: number; controlPort: number; db?: string; hostPorts: 'fixed' | 'ephemeral'
  logMaxSize: number; logMaxFiles: number; logFile?: string
}
/** `chaoscope demo`'s flags (cli/verbs/demo.ts reads them). */
export interface DemoFlags { once?: boolean; fast?: boolean; report?: string; hostPorts: 'fixed' | 'ephemeral' }
export interface ProxyFlags extends RetentionFlags {
  host: string; port: number; config?: string; filename?: string; allowRemote?: boolean; controlPort: number; db?: string
}
export interface LoadFlags {
  rate?: string; stages?: string; connections?: number; duration?: number; requests?: number; method?: string; header?: string[]; body?: string
  timeout?: number; filename?: string; workers?: number; metricsAddr?: string; allowRemote?: boolean; quiet?: boolean; output: 'text' | 'json'
}
export interface PrometheusConfigFlags { tokenFile?: string; runtimeTokenFile?: string; scrapeInterval?: string; load?: string[]; rules?: string }
export interface RunCommandFlags {
  rollbackStrategy?: string; hypothesisStrategy?: string; hypothesisFrequency?: number; failFast?: boolean; var?: string[]; varFile?: string[]
  journalPath: string; dry?: string; validation: boolean; verifyTls: boolean; settings?: string; controlFile?: string[]; allowExec?: boolean
  junit?: string; report?: string; quiet?: boolean; output: 'text' | 'json'
}
export interface ReportFlags { since?: string; from?: string; to?: string; run?: number; title?: string; output?: string }
export interface ServerFlags extends RetentionFlags, AccessFlags { target?: 'local' | 'kubernetes'; kubeconfig?: string; context?: string; runtime?: string; runtimeTokenFile?: string; db?: string; port: number }
/** Where an experiment command acts: `--target local|kubernetes`, `--kubeconfig`, `--context`. */
export interface TargetFlags { target: 'local' | 'kubernetes'; kubeconfig?: string; context?: string }
export interface GetFlags extends TargetFlags { namespace?: string; allNamespaces?: boolean; selector?: string; output: 'table' | 'wide' | 'yaml' | 'json'; watch?: boolean }
export interface DeleteFlags extends TargetFlags { filename?: string[]; namespace: string; ignoreNotFound?: boolean; wait: boolean; timeout: number; force?: boolean }
export interface EventsFlags extends TargetFlags { for?: string; namespace: string; allNamespaces?: boolean; output: 'table' | 'yaml' | 'json'; watch?: boolean }
