// Runs the whole test suite with Vitest and ends with one plain summary line: "tests: N passed, N failed, N skipped".
// Extra arguments go to Vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'

const out = '.vitest-results.json'
rmSync(out, { force: true })
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)], { stdio: 'inherit' })
let summary = 'tests: 0 passed, 0 failed'
try {
  const r = JSON.parse(readFileSync(out, 'utf8'))
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  // a file whose set-up (beforeAll) failed counts no failed test: it is said as a failed file
  const failedFiles = (r.testResults ?? []).filter((f) => f.status === 'failed').length
  const files = failedFiles && !r.numFailedTests ? `, ${failedFiles} file${failedFiles === 1 ? '' : 's'} failed` : ''
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${files}`
} catch {
  summary = 'tests: 0 passed, 1 failed (vitest wrote no results)'
}
console.log(summary)
process.exit(run.status ?? 1)
