/**
 * @module api/validate-pool: validateText on a small pool of worker threads (src/api/validate-worker.ts), for the
 * bodies too large to validate on the API's event loop without stalling it.
 *
 *   validate(text) ─▶ queue ─▶ idle worker (started on first use, at most `size`) ─▶ ValidationResult
 *                                 └─ crashed, out of memory, or no answer in `timeoutMs` ─▶ API_VALIDATOR_FAILED; replaced
 *
 * A worker that has been idle for `idleMs` is stopped (its memory given back); an idle worker never keeps the
 * process alive. Jobs are answered in the order they were queued, per worker.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { ChaosError } from '../errors.js'
import type { ValidationResult } from '../manifest/validate.js'
import type { ValidateReply, ValidateRequest } from './validate-worker.js'
import { workerSpec } from '../wire/worker-spec.js'

export interface ValidatePoolOptions {
  /** Workers at most (default: 2, or 1 on a machine with two cores or fewer, leaving one to the API). */
  size?: number
  /** A job not answered in this time fails and its worker is replaced (default 60 s). */
  timeoutMs?: number
  /** An idle worker is stopped after this long (default 30 s). */
  idleMs?: number
  /** Heap of each worker, MB (default 768): a body that needs more fails alone, the process stays small. */
  maxHeapMb?: number
}

interface Job {
  id: number
  text: string
  file: string
  resolve(r: ValidationResult): void
  reject(e: unknown): void
}

interface Slot {
  worker: Worker
  job?: Job
  timer?: NodeJS.Timeout
  gone: boolean
}


/**
 * @example
 * const pool = new ValidatePool()
 * const result = await pool.validate(bigYaml, 'request.yaml')   // as validateText(bigYaml, 'request.yaml')
 */
export class ValidatePool {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private nextId = 1
  private closed = false
  readonly size: number
  private readonly timeoutMs: number
  private readonly idleMs: number
  private readonly maxHeapMb: number

  constructor(opts: ValidatePoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? (availableParallelism() <= 2 ? 1 : 2))
    this.timeoutMs = opts.timeoutMs ?? 60_000
    this.idleMs = opts.idleMs ?? 30_000
    this.maxHeapMb = opts.maxHeapMb ?? 768
  }

  /** Workers running now (started on demand, stopped when idle). */
  get workers(): number {
    return this.slots.length
  }

  /** Validates `text` as validateText does, on a worker thread. */
  validate(text: string, file: string): Promise<ValidationResult> {
    if (this.closed) return Promise.reject(new ChaosError('API_VALIDATOR_FAILED', 'the validator is closed (the API is stopping)'))
    return new Promise<ValidationResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, file, resolve, reject })
      this.dispatch()
    })
  }

  /** Stops every worker; queued and running jobs fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const why = new ChaosError('API_VALIDATOR_FAILED', 'the validator was closed (the API is stopping)')
    for (const j of this.queue.splice(0)) j.reject(why)
    await Promise.all(this.slots.splice(0).map((s) => this.stop(s, why)))
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job)
      if (!slot) {
        if (this.slots.length >= this.size) return
        slot = this.start()
      }
      this.run(slot, this.queue.shift()!)
    }
  }

  private run(slot: Slot, job: Job): void {
    clearTimeout(slot.timer)
    slot.job = job
    slot.worker.ref()
    slot.timer = setTimeout(() => void this.stop(slot, new ChaosError('API_VALIDATOR_FAILED', `the validator worker did not answer within ${this.timeoutMs} ms`)), this.timeoutMs)
    slot.worker.postMessage({ id: job.id, text: job.text, file: job.file } satisfies ValidateRequest)
  }

  private start(): Slot {
    const { url, execArgv } = workerSpec(import.meta.url, './validate-worker')
    const worker = new Worker(url, { execArgv, name: 'chaoscope-validate', resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } })
    const slot: Slot = { worker, gone: false }
    worker.on('message', (m: ValidateReply) => {
      const job = slot.job
      if (!job || job.id !== m.id) return
      slot.job = undefined
      clearTimeout(slot.timer)
      if ('result' in m) job.resolve(m.result)
      else job.reject(new Error(`validating ${job.file} failed in the validator worker: ${m.error}`))
      this.idle(slot)
      this.dispatch()
    })
    const die = (why: string, cause?: unknown) => void this.stop(slot, new ChaosError('API_VALIDATOR_FAILED', `the validator worker ${why}`, { cause }))
    worker.on('error', (e) => die(`failed: ${e.message}`, e))
    worker.on('exit', (code) => die(`exited with code ${code}`))
    this.slots.push(slot)
    return slot
  }

  /** No job: the worker no longer holds the process, and stops after idleMs. */
  private idle(slot: Slot): void {
    if (slot.job || slot.gone) return
    slot.worker.unref()
    slot.timer = setTimeout(() => void this.stop(slot), this.idleMs)
    slot.timer.unref()
  }

  /** Takes the worker out of the pool (failing its job with `why`), terminates it, and lets the queue go on. */
  private async stop(slot: Slot, why?: ChaosError): Promise<void> {
    if (slot.gone) return
    slot.gone = true
    clearTimeout(slot.timer)
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    const job = slot.job
    slot.job = undefined
    if (job) job.reject(why ?? new ChaosError('API_VALIDATOR_FAILED', 'the validator worker was stopped'))
    await slot.worker.terminate().catch(() => undefined)
    if (!this.closed) this.dispatch()
  }
}
