/** @module errors: every error chaoscope reports carries one code from this table. */

/**
 * The one table of error codes. Each entry says what the code means and what the user can do about it;
 * `docs/errors.md` mirrors this table row for row (a test keeps the two in sync).
 */
export const ERROR_CODES = {
  // reading files
  SPEC_FILE_NOT_FOUND: ['the file or directory does not exist or cannot be read', 'check the path given to -f'],
  SPEC_FILE_TOO_LARGE: ['the file is larger than the size limit (1 MiB by default)', 'split the file, or raise the limit with --max-file-size'],
  SPEC_INVALID_UTF8: ['the file is not valid UTF-8', 'save the file as UTF-8'],
  SPEC_NO_INPUT: ['no YAML or JSON file was found in the given inputs', 'point -f at a .yaml, .yml or .json file, a directory holding some, or - for stdin'],
  // YAML / JSON syntax
  SPEC_YAML_SYNTAX: ['the text is not valid YAML or JSON', 'fix the syntax at the position shown'],
  SPEC_DUPLICATE_KEY: ['a mapping has the same key twice; only one value could be kept', 'remove or rename one of the keys'],
  SPEC_TAB_INDENT: ['YAML does not allow tabs for indentation', 'indent with spaces'],
  SPEC_ALIAS_LIMIT: ['YAML aliases expand beyond the allowed bound (a guard against "billion laughs" files)', 'write the repeated content out, or use fewer nested aliases'],
  // document shape
  SPEC_NOT_AN_OBJECT: ['a document is not a mapping (object)', 'each document must be a Kubernetes-style object or a Chaos Toolkit experiment'],
  SPEC_UNRECOGNIZED_DOCUMENT: ['a document is neither a Kubernetes-style object (apiVersion, kind) nor a Chaos Toolkit experiment (title, method)', 'add apiVersion and kind, or title and method'],
  SPEC_MISSING_KIND: ['a Kubernetes-style object has no kind or apiVersion', 'add kind and apiVersion, e.g. apiVersion: chaos-mesh.org/v1alpha1, kind: NetworkChaos'],
  SPEC_UNKNOWN_KIND: ['the kind is not one of the kinds of its API group', 'check the spelling of kind; the hint names the closest known kind'],
  SPEC_UNSUPPORTED_VERSION: ['the apiVersion names a version of the group that chaoscope does not know', 'use chaos-mesh.org/v1alpha1 or chaoscope.dev/v1alpha1'],
  SPEC_INTERNAL_KIND: ['the kind exists in Chaos Mesh but is created by its controller, not by users', 'write the user-facing kind instead (PodNetworkChaos comes from NetworkChaos, and so on)'],
  // fields
  SPEC_REQUIRED: ['a required field is missing', 'add the field; the position shown is its parent'],
  SPEC_UNKNOWN_FIELD: ['a field is not part of the schema of its kind', 'check the spelling; the hint names the closest known field'],
  SPEC_TYPE: ['a field has the wrong type', 'write a value of the expected type'],
  SPEC_ENUM: ['a field is not one of its allowed values', 'use one of the values listed'],
  SPEC_PATTERN: ['a field does not match the pattern it must follow', 'write a value of the form shown'],
  SPEC_OUT_OF_RANGE: ['a number is outside its allowed range, or a list or string has the wrong length', 'use a value within the range shown'],
  SPEC_INVALID_DURATION: ['a field is not a duration', 'write a duration like "100ms", "1.5s" or "2h45m" (units ns, us, ms, s, m, h)'],
  SPEC_INVALID_VALUE: ['a field has a value that Chaos Mesh rejects', 'follow the rule in the message'],
  SPEC_MODE_VALUE: ['spec.value is missing or out of range for the selector mode', 'mode fixed needs a pod count; fixed-percent and random-max-percent need a percent from 0 to 100'],
  SPEC_INVALID_CRON: ['a schedule is not a cron expression Chaos Mesh accepts', 'write five fields like "*/5 * * * *", a descriptor like "@hourly", or "@every 30s"'],
  SPEC_INVALID_NAME: ['a name is not a valid Kubernetes name', 'use lowercase letters, digits and "-", starting and ending with a letter or digit'],
  SPEC_UNKNOWN_TEMPLATE: ['a workflow refers to a template that does not exist', 'define the template, or fix the name in entry or children'],
  SPEC_UNKNOWN_SERVICE: ['an app service depends on a service the app does not define', 'define the service, or fix the name in dependencies'],
  SPEC_DUPLICATE_NAME: ['two items that must have unique names share one', 'rename one of them'],
  SPEC_REMOVED_FIELD: ['a field from Chaos Mesh 1.x that 2.x removed', 'follow the hint to write it the 2.x way'],
  SPEC_ARGO_WORKFLOW: ['an Argo-style workflow (tasks, entrypoint, steps, dag) where Chaos Mesh expects its own form', 'use entry and templates whose children name other templates'],
  SPEC_LOCAL_UNSUPPORTED: ['the kind or action cannot run on the local runtime', 'change the experiment as the message says, or run it on a cluster with Chaos Mesh (`--target kubernetes`)'],
  // Chaos Toolkit experiments
  CTK_INVALID_EXPERIMENT: ['a Chaos Toolkit experiment breaks a rule of Chaos Toolkit\'s own validator', 'follow the rule in the message'],
  CTK_INVALID_ACTIVITY: ['a Chaos Toolkit activity (probe or action) is malformed', 'give it type, name and a provider of type python, process or http with the fields that type needs'],
  CTK_INVALID_TOLERANCE: ['a steady-state probe tolerance is malformed', 'use a boolean, number, string, list, or an object with type probe, regex, jsonpath or range'],
  CTK_UNKNOWN_REFERENCE: ['an activity refers by ref to a name that no activity of the experiment defines', 'define the activity in the hypothesis or method, or fix the name'],
  // pod supervisor (local runtime)
  RUNTIME_NOT_READY: ['pods did not become ready in time', 'read their logs with `chaoscope logs POD`; the message names each pod and why'],
  RUNTIME_UNKNOWN_EDGE: ['the pod does not call the named service, so it has no egress sidecar for it', 'name one of the dependencies the pod\'s service declares'],
  RUNTIME_NOT_RUNNING: ['no local runtime is running (or its control API does not answer)', 'start one with `chaoscope up -f app.yaml`'],
  RUNTIME_ALREADY_RUNNING: ['a local runtime is already running for this state directory', 'stop it with `chaoscope down`, or set CHAOSCOPE_HOME to run another'],
  RUNTIME_START_FAILED: ['the runtime started in the background (`chaoscope up --detach`) exited before its pods were ready', 'read the error printed above it (also in $CHAOSCOPE_HOME/runtime.log) and fix what it names'],
  RUNTIME_STOP_TIMEOUT: ['the runtime was asked to stop but is still running after the time given', 'wait longer with `chaoscope down --timeout 120`, or end the process the message names with kill'],
  RUNTIME_UNKNOWN_POD: ['no pod has the given name', 'list the pods with `chaoscope get pods`'],
  RUNTIME_UNKNOWN_SERVICE: ['no running service has the given name', 'check the service name against the App file'],
  RUNTIME_SERVICE_EXISTS: ['the service already runs', 'scale it, or stop it before starting it again'],
  RUNTIME_NOT_RUNNABLE: ['the service has no command, so it cannot run as pods (an external service is only fronted by sidecars)', 'give the service a command, or declare it external'],
  RUNTIME_NO_FREE_PORT: ['no free loopback port could be had for a pod (the kernel refused or kept handing out ports already in use)', 'free ports on 127.0.0.1 (stop other runtimes or programs), or widen net.ipv4.ip_local_port_range, then start again'],
  SELECTOR_INVALID: ['a label selector (`-l`, labelSelector) cannot be read; the message quotes it and names the column where it breaks', 'write requirements separated by commas: key, !key, key=value, key!=value, key in (a,b), key notin (a,b)'],
  // effects (the runtime's boundary)
  EFFECT_INVALID: ['an effect sent to the runtime is malformed', 'follow the rule in the message; the field at fault is named first'],
  EFFECT_UNKNOWN_TYPE: ['the runtime has no effect of that type', 'use one of the types the hint lists'],
  EFFECT_EXISTS: ['the runtime already holds a different effect with this id', 'remove it first, or use another id'],
  // sidecar proxies (runtime data plane)
  PROXY_NOT_FOUND: ['no proxy has the given name', 'list the proxies, or create the proxy first'],
  PROXY_EXISTS: ['a proxy with the given name already exists', 'choose another name, or remove the existing proxy first'],
  PROXY_LISTEN_FAILED: ['the proxy could not listen on its address (the port is in use or not allowed)', 'choose another port, or 0 for an ephemeral one'],
  PROXY_INVALID_UPSTREAM: ['an upstream is not a host:port address', 'write upstreams like "127.0.0.1:8080"'],
  PROXY_INVALID_FAULT: ['a fault given to a proxy is malformed or does not fit its mode', 'follow the rule in the message'],
  PROXY_FAULT_EXISTS: ['the proxy already has a fault with this id', 'remove it first, or use another id'],
  PROXY_FAULT_NOT_FOUND: ['the proxy has no fault with this id', 'list the faults of the proxy to see their ids'],
  PROXY_WORKER_FAILED: ['the data plane worker thread stopped or did not answer', 'restart the runtime; the message has the worker\'s error'],
  // controller HTTP API
  API_NOT_FOUND: ['the API has no such endpoint', 'see /api/v1/openapi.json for the endpoints'],
  API_METHOD_NOT_ALLOWED: ['the endpoint exists but does not take that method', 'use one of the methods its Allow header names'],
  API_BODY_TOO_LARGE: ['the request body is larger than the API accepts (1 MiB)', 'split the resources over several requests'],
  API_BODY_TOO_DEEP: ['the request body nests mappings and lists deeper than the APIs accept (100 levels, counted before it is parsed)', 'send the document without the extra nesting; resources and effects nest about ten levels'],
  API_UNSUPPORTED_MEDIA_TYPE: ['the request body has a content type the endpoint does not read', 'send resources as application/yaml or application/json (text/plain is refused: HTML forms can send it from any page)'],
  API_RATE_LIMITED: ['a client sent more requests than the API takes from one address (a token bucket: 5000 a second, bursts of 10000, by default)', 'wait the seconds the Retry-After header gives, or set CHAOSCOPE_RATE_LIMIT=<per second>[:<burst>] (or off) for the server'],
  API_VALIDATOR_FAILED: ['the worker thread that validates large request bodies stopped or did not answer in time', 'send the request again; report it with the body if it happens again'],
  API_INVALID_QUERY: ['a query parameter of the request is malformed', 'follow the rule in the message'],
  API_DASHBOARD_NOT_BUILT: ['the dashboard\'s files (dist/dashboard) are not there: this copy was never built, or its build failed', 'run `npm run build` (it writes dist/dashboard), then reload the page; the API under /api/v1 works without it'],
  API_LISTEN_FAILED: ['an API (the runtime\'s control API or the controller\'s) could not listen on its address: the port is in use or not allowed', 'choose another port (--control-port, --port), or 0 for a free one'],
  API_CONTROLLER_NOT_RUNNING: ['no controller is running (or its API does not answer)', 'start one with `chaoscope up -f app.yaml` or `chaoscope server`'],
  API_CONTROLLER_ALREADY_RUNNING: ['a controller is already running for this state directory', 'stop it, or set CHAOSCOPE_HOME to run another'],
  API_WATCH_DROPPED: ['the controller ended a watch because the watcher read its changes too slowly (its queue passed the limit) or a change could not be sent', 'run the command again: it lists afresh, then watches'],
  API_HOST_REFUSED: ['the request\'s Host header names an address this server does not serve (the mark of a DNS-rebinding page in a browser)', 'call the server by an IP address, localhost, or a name given to --allowed-hosts'],
  API_CROSS_ORIGIN: ['a browser page from another origin sent the request, and that origin was not allowed (--cors-origin)', 'call the API from the CLI or a script, or start the server with --cors-origin ORIGIN for a page you trust'],
  // security: tokens, roles, namespaces, what a request may be (src/api/auth.ts, src/http-security.ts)
  AUTH_REQUIRED: ['the API needs a token and the request carried none', 'send `Authorization: Bearer <token>`; the CLI sends $CHAOSCOPE_TOKEN, else the local admin token in $CHAOSCOPE_HOME/token'],
  AUTH_INVALID_TOKEN: ['the token is not one this server issued (mistyped, forged, or from another server)', 'use a token printed by `chaoscope token create`, or the local admin token in $CHAOSCOPE_HOME/token'],
  AUTH_TOKEN_EXPIRED: ['the token was valid but its --expires time has passed', 'ask an admin for a new one: `chaoscope token create NAME --role viewer --expires 30d` (or the role it had)'],
  AUTH_TOKEN_REVOKED: ['the token was revoked with `chaoscope token revoke`', 'ask an admin for a new one'],
  AUTH_FORBIDDEN: ['the token\'s role does not allow the call (viewer reads; operator also creates, pauses, resumes and deletes; admin also manages tokens and reads the audit log)', 'use a token whose role has the permission the message names, or ask an admin for one'],
  AUTH_NAMESPACE_FORBIDDEN: ['the token is limited to namespaces that do not include the one the call acts in', 'use a token for that namespace (`chaoscope token create NAME --namespace NS`), or act in one of the token\'s namespaces'],
  AUTH_TOKEN_IN_URL: ['a token was put in the URL (a query parameter), where proxies, logs and browser history keep it', 'send it in the `Authorization: Bearer` header instead, and revoke the one that was exposed'],
  AUTH_RATE_LIMITED: ['too many requests with a bad token came from one address; requests from it are refused for a while', 'wait the seconds Retry-After gives, and check the token the client uses'],
  AUTH_TOKEN_EXISTS: ['a live token with that name already exists', 'choose another name, or revoke the old one first (`chaoscope token revoke NAME`)'],
  AUTH_TOKEN_NOT_FOUND: ['no token has that name', 'list them with `chaoscope token list`'],
  AUTH_NONE_NOT_LOOPBACK: ['`--auth none` was asked for on an address other machines can reach, or with --allowed-hosts \'*\' (which lets DNS-rebinding pages in)', 'listen on 127.0.0.1 (the default) with named --allowed-hosts to run without tokens, or leave --auth at its default'],
  // namespaces the server lets experiments act in (--allowed-namespaces, --protected-namespaces)
  POLICY_NAMESPACE_NOT_ALLOWED: ['the resource, or a pod its selector reaches, is in a namespace outside the server\'s --allowed-namespaces', 'act in one of the allowed namespaces the message lists, or restart the server with the namespace allowed'],
  POLICY_NAMESPACE_PROTECTED: ['the resource, or a pod its selector reaches, is in a namespace the server protects (--protected-namespaces)', 'narrow the selector (selector.namespaces) to namespaces that are not protected'],
  // controller (engine)
  CONTROLLER_NOT_FOUND: ['no experiment of that kind, namespace and name exists (it may have finished and been archived)', 'list them with `chaoscope get all -A`'],
  CONTROLLER_IMMUTABLE: ['the spec of a chaos experiment cannot change once it is created, as in Chaos Mesh', 'delete the experiment and apply it again; labels and annotations (such as the pause annotation) may change'],
  CONTROLLER_NO_TARGETS: ['the selector of an experiment matches no pod', 'compare the selector with the pods the message lists (`chaoscope get pods`)'],
  CONTROLLER_DELETING: ['the experiment is being deleted: its targets are being recovered', 'wait until it is gone, then apply it again'],
  CONTROLLER_STOPPED: ['the controller was stopped', 'start the controller again (`chaoscope up` or `chaoscope server`)'],
  CONTROLLER_DB_IN_USE: ['another controller, alive on this machine, keeps its state in this database', 'stop that one, or give this one a database of its own with --db'],
  CONTROLLER_NOT_PAUSABLE: ['only experiments and schedules can be paused, as in Chaos Mesh (workflows, their nodes and status checks cannot)', 'abort a workflow with the annotation workflow.chaos-mesh.org/abort: "true", or delete it'],
  CONTROLLER_EXEC_REFUSED: ['a Workflow Task runs its container\'s command as a local process, and this controller was started without --allow-exec', 'start it with `chaoscope up --allow-exec` or `chaoscope server --allow-exec` to let Tasks run, or remove the Task template'],
  // Kubernetes target (--target kubernetes)
  KUBE_CONFIG_INVALID: ['the kubeconfig cannot be read, or has no such context, cluster or user', 'point --kubeconfig (or $KUBECONFIG) at a kubeconfig file and --context at one of its contexts (`kubectl config get-contexts`)'],
  KUBE_UNREACHABLE: ['the Kubernetes API server named by the kubeconfig did not answer', 'check that the cluster runs and that its address in the kubeconfig is reachable from here (`kubectl cluster-info`)'],
  KUBE_UNAUTHORIZED: ['the Kubernetes API server did not accept the kubeconfig\'s credentials (401)', 'renew the token or certificate of the kubeconfig\'s user'],
  KUBE_FORBIDDEN: ['the kubeconfig\'s user may not do this in that namespace (RBAC, 403)', 'ask for a Role that grants it (the message names the verb, resource and namespace), e.g. `kubectl create rolebinding … --clusterrole=edit`'],
  KUBE_CHAOS_MESH_MISSING: ['Chaos Mesh\'s custom resource definitions are not installed in the cluster, and this kind has no native form', 'install Chaos Mesh (`helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace`); without it only PodChaos pod-kill and NetworkChaos partition run'],
  KUBE_NATIVE_UNSUPPORTED: ['without Chaos Mesh, this part of the experiment cannot be done with plain Kubernetes objects', 'install Chaos Mesh, or use what runs natively (the message says what)'],
  KUBE_NOT_FOUND: ['no object of that kind, namespace and name exists in the cluster', 'list them with `chaoscope get all -A --target kubernetes`'],
  KUBE_REFUSED: ['the Kubernetes API server refused the request (its own validation, a conflict, or an admission webhook)', 'the message carries the API server\'s reason; fix the field it names'],
  KUBE_DELETE_STUCK: ['the object is still there after the wait: Chaos Mesh\'s finalizer holds it until every target is recovered', 'see why with `chaoscope describe --target kubernetes`; when Chaos Mesh cannot recover (its controller or the pods are gone), remove it with `chaoscope delete --target kubernetes --force`, which sets the annotation chaos-mesh.chaos-mesh.org/cleanFinalizer=forced'],
  KUBE_NO_SIDECARS: ['the probe reads chaoscope\'s sidecars (latency and errors per service), which only the local runtime has', 'on Kubernetes measure with a chaosprometheus probe or an HTTP probe against the service'],
  KUBE_NAMESPACE_NOT_ALLOWED: ['Chaos Mesh filters namespaces, and this one is not annotated chaos-mesh.org/inject=enabled', 'annotate it: `kubectl annotate ns NAMESPACE chaos-mesh.org/inject=enabled`'],
  // store (SQLite)
  STORE_OPEN_FAILED: ['the state database could not be opened or migrated', 'check the path given with --db and that no other program holds it; the message has SQLite\'s error'],
  STORE_SCHEMA_TOO_NEW: ['the state database was written by a newer chaoscope (it has migrations this version does not know)', 'run the newer chaoscope, or point --db at another file'],
  STORE_WRITE_FAILED: ['the state database refused a write (disk full, read-only, locked or damaged); nothing of that change was kept', 'check the disk and the file given with --db; the message has SQLite\'s error'],
  // state files
  STORE_HOME_UNSAFE: ['$CHAOSCOPE_HOME can be written by other users, or belongs to another user, so its tokens and database could be read or replaced', 'run `chmod 711` on the directory (the message names it), or point CHAOSCOPE_HOME at a directory of your own'],
  STORE_STATE_FILE_CORRUPT: ['a state file in $CHAOSCOPE_HOME (runtime.json, controller.json) exists but cannot be read', 'check its permissions, or remove it when no chaoscope process is running'],
  // load generator
  LOAD_INVALID_PLAN: ['the settings of a load run do not fit together (no end, no target, a target that is not http://)', 'follow the message; `chaoscope load --help` lists the flags'],
  LOAD_TARGET_REFUSED: ['the load target is not on this machine, and remote targets were not allowed', 'point it at 127.0.0.1, localhost or [::1], or pass --allow-remote when the target is yours to load'],
  LOAD_WORKER_FAILED: ['a load worker thread failed; the run was stopped and nothing was reported', 'report it as a bug with the command; the message has the worker\'s error'],
  // chaoscope run (Chaos Toolkit experiments)
  RUN_REFUSED_ACTIVITY: ['an activity of the experiment cannot run here: a process or a Python module of your own without --allow-exec, a Python module that cannot be imported, or a program that is not on the PATH; nothing was run', 'pass --allow-exec when the experiment is yours to run, install what is missing, or change the activity; the message names each one'],
  RUN_INVALID_VAR: ['a --var or --var-file value cannot be read the way Chaos Toolkit reads it', 'write --var name=value or name:type=value with type str, int, float, bytes, bool or json; a var file is JSON or YAML with configuration and secrets, or a .env file'],
  RUN_MISSING_ENV: ['the configuration or the secrets name an environment variable that is not set and has no default', 'export the variable, give it a default in the experiment, or pass --var name=value'],
  RUN_NO_TARGET: ['an activity acts on Chaos Mesh resources, pods or sidecars, and no controller is running', 'start the services with `chaoscope up -f app.yaml` (or `chaoscope server` beside a runtime), then run the experiment again'],
  // reports
  REPORT_INVALID_RANGE: ['the time range of a report cannot be read, is empty, or is longer than 7 days', 'give --since 15m, or --from and --to as ISO times (2026-12-04T10:00:00Z) with --from before --to'],
  REPORT_INVALID_JOURNAL: ['the run posted to the controller is not a Chaos Toolkit journal (it needs experiment.title, start, status and steady_states)', 'post the journal.json that `chaoscope run` or `chaos run` wrote'],
  REPORT_RUN_NOT_FOUND: ['no run with that id is kept', 'list the runs with GET /api/v1/runs'],
  REPORT_WRITE_FAILED: ['the report file cannot be written', 'check that the directory exists and that you may write there'],
  // command line
  CONFIG_INVALID: ['the server config file (--config) cannot be read or has a field that is wrong', 'fix the field at the position shown; docs/security.md lists the fields'],
  CLI_USAGE: ['the command line is not valid', 'run the command with --help'],
  INTERNAL: ['an unexpected error inside chaoscope (a bug)', 'report it with the command and the input that caused it'],
} as const satisfies Record<string, readonly [meaning: string, fix: string]>

export type ErrorCode = keyof typeof ERROR_CODES

/** A position in a source file, 1-based, as editors show it. */
export interface SourceLocation {
  file: string
  line: number
  col: number
}

export interface ChaosErrorOptions {
  hint?: string
  at?: SourceLocation
  cause?: unknown
  retryable?: boolean
}

/** An error the user can act on. Anything else reaching the CLI or API is a bug and is reported as INTERNAL. */
export class ChaosError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly opts: ChaosErrorOptions = {},
  ) {
    super(message, { cause: opts.cause })
    this.name = 'ChaosError'
  }

  get hint(): string | undefined {
    return this.opts.hint
  }
}

export function isChaosError(e: unknown): e is ChaosError {
  return e instanceof ChaosError
}

/** Exit codes shared by every command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const

/** Spec codes that mean a request body could not be read at all (400); every other SPEC_ code is 422. */
const UNREADABLE = new Set<string>(['SPEC_YAML_SYNTAX', 'SPEC_DUPLICATE_KEY', 'SPEC_TAB_INDENT', 'SPEC_ALIAS_LIMIT', 'SPEC_INVALID_UTF8', 'SPEC_NO_INPUT', 'SPEC_NOT_AN_OBJECT'])

/**
 * The HTTP status for an error code: the one mapping, for the runtime's control API and the controller's API.
 * 400 unreadable request, 401 no valid token, 403 a token, origin or namespace policy that does not allow the call, 404 unknown thing, 405 a method the endpoint does not take, 409 conflict with what exists, 413 body too large,
 * 415 a body type the endpoint does not read, 429 too many requests from one client,
 * 422 readable but refused (validation, immutable fields, a kind or selector the runtime cannot serve),
 * 500 bug, 503 a dependency is not up.
 */
export function httpStatus(code: ErrorCode): 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503 {
  if (code === 'AUTH_REQUIRED' || code === 'AUTH_INVALID_TOKEN' || code === 'AUTH_TOKEN_EXPIRED' || code === 'AUTH_TOKEN_REVOKED') return 401
  if (code === 'AUTH_FORBIDDEN' || code === 'AUTH_NAMESPACE_FORBIDDEN' || code === 'API_HOST_REFUSED' || code === 'API_CROSS_ORIGIN' || code.startsWith('POLICY_')) return 403
  if (code === 'AUTH_RATE_LIMITED') return 429
  if (code === 'API_METHOD_NOT_ALLOWED') return 405
  if (code.endsWith('NOT_FOUND') || code.startsWith('RUNTIME_UNKNOWN') || code === 'PROXY_FAULT_NOT_FOUND') return 404
  if (code.endsWith('_EXISTS') || code.endsWith('ALREADY_RUNNING')) return 409
  if (code === 'KUBE_UNAUTHORIZED') return 401
  if (code === 'KUBE_FORBIDDEN' || code === 'KUBE_NAMESPACE_NOT_ALLOWED') return 403
  if (code === 'KUBE_UNREACHABLE') return 503
  if (code === 'KUBE_DELETE_STUCK') return 409
  if (code.startsWith('KUBE_') && code !== 'KUBE_CONFIG_INVALID') return 422
  if (code === 'INTERNAL' || code === 'PROXY_WORKER_FAILED' || code === 'LOAD_WORKER_FAILED' || code === 'STORE_WRITE_FAILED' || code === 'API_VALIDATOR_FAILED') return 500
  if (code === 'RUNTIME_NO_FREE_PORT') return 503
  if (code === 'RUNTIME_NOT_READY' || code.endsWith('NOT_RUNNING')) return 503
  if (code === 'API_BODY_TOO_LARGE' || code === 'SPEC_FILE_TOO_LARGE') return 413
  if (code === 'API_UNSUPPORTED_MEDIA_TYPE') return 415
  if (code === 'API_RATE_LIMITED') return 429
  if (code.startsWith('SPEC_') && !UNREADABLE.has(code)) return 422
  if (code === 'CONTROLLER_DELETING') return 409
  if (code === 'CONTROLLER_STOPPED') return 503
  if (code === 'API_DASHBOARD_NOT_BUILT') return 503
  if (code.startsWith('CONTROLLER_')) return 422
  return 400
}

/** An error as the APIs send it: `{code, message, hint?}`. Anything not coded is INTERNAL (a bug). */
export interface ErrorBody {
  code: ErrorCode
  message: string
  hint?: string
}

export function errorBody(e: unknown): ErrorBody {
  if (isChaosError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), hint: 'this is a bug in chaoscope; please report it' }
}

/** The ChaosError an error body stands for (the inverse of {@link errorBody}); `fallback` when the body has no known code. */
export function errorFromBody(body: unknown, fallback: string): ChaosError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<Record<keyof ErrorBody, unknown>>
  const code = typeof b.code === 'string' && Object.hasOwn(ERROR_CODES, b.code) ? (b.code as ErrorCode) : 'INTERNAL'
  const message = typeof b.message === 'string' ? b.message : fallback
  return new ChaosError(code, message, typeof b.hint === 'string' ? { hint: b.hint } : {})
}
