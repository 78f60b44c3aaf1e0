/** @module load/worker: a worker thread of a load run: a Driver fed by the main thread's start and stop. */
import { parentPort, workerData } from 'node:worker_threads'
import { Driver } from './driver.js'
import type { MainMessage, WorkerMessage } from './driver.js'
import type { LoadPlan } from './types.js'

const { plan, index, count } = workerData as { plan: LoadPlan; index: number; count: number }
const port = parentPort!
const post = (m: WorkerMessage): void => port.postMessage(m)
let driver: Driver
try {
  driver = new Driver(plan, index, count, post)
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message })
  process.exit(0)
}
port.on('message', (m: MainMessage) => {
  if (m.type === 'start') {
    driver.run(m.startEpochMs).then(
      () => port.close(),
      (err: unknown) => post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) }),
    )
  } else if (m.type === 'stop') driver.stop()
})
post({ type: 'ready' })
