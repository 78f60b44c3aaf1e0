// The target of bench/load.mjs: a plain Node `http` server (small body, keep-alive) in a process of its own,
// listening on 127.0.0.1 port 0; it prints its port as the first line of stdout.
//
// It can stall once, on request, to give a load tool a known pause to report: a line `arm <afterMs> <forMs>` on
// stdin arms it, and `afterMs` after the next request arrives it stops answering for exactly `forMs`
// (requests are still read, their responses held), then answers everything it held at once and goes on as
// before. When the stall ends it prints `stall <heldRequests> <actualMs>`; a line `count` prints
// `count <requestsSinceLastCount>`. `bins on` starts counting arrivals per 100 ms; `bins` prints
// `bins <n> <n> …` (the full windows between the first and the last arrival) and stops.
//
// Usage: node bench/load-target.mjs
import http from 'node:http'
import { createInterface } from 'node:readline'

const body = Buffer.from('hello, load\n')
const headers = { 'content-type': 'text/plain', 'content-length': body.length }
const now = () => performance.now()

let served = 0
/** Set while armed: the stall waits for the next request to start its clock. */
let armed
/** Set while stalled: the responses held until it ends. */
let held
let stallStart = 0
/** While counting arrivals: per 100 ms window (by performance.now()). */
let bins

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  served++
  req.resume()
  if (bins) {
    const k = Math.floor(now() / 100)
    bins.set(k, (bins.get(k) ?? 0) + 1)
  }
  if (armed) {
    const { afterMs, forMs } = armed
    armed = undefined
    setTimeout(() => startStall(forMs), afterMs)
  }
  if (held) held.push(res)
  else {
    res.writeHead(200, headers)
    res.end(body)
  }
})

function startStall(forMs) {
  held = []
  stallStart = now()
  const end = stallStart + forMs
  // a timer may fire early by a fraction of a millisecond: wait out the rest on the next turns
  const check = () => {
    if (now() < end) return void setImmediate(check)
    const list = held
    held = undefined
    const actual = now() - stallStart
    for (const res of list) {
      res.writeHead(200, headers)
      res.end(body)
    }
    process.stdout.write(`stall ${list.length} ${actual.toFixed(1)}\n`)
  }
  setTimeout(check, Math.max(0, forMs - 2))
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/)
  if (cmd === 'arm') armed = { afterMs: Number(a), forMs: Number(b) }
  else if (cmd === 'bins') {
    if (a === 'on') bins = new Map()
    else {
      const keys = [...(bins ?? new Map()).keys()]
      const out = []
      // the first and last windows are partial: left out
      for (let k = Math.min(...keys) + 1; k < Math.max(...keys); k++) out.push(bins.get(k) ?? 0)
      bins = undefined
      process.stdout.write(`bins ${out.join(' ')}\n`)
    }
  } else if (cmd === 'count') {
    process.stdout.write(`count ${served}\n`)
    served = 0
  }
})
// the bench closes stdin when it is done with the target (or dies): end then, whatever the sockets hold
process.stdin.on('end', () => process.exit(0))

server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
