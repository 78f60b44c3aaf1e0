/** The per-pod log ring: lines, bounds, follow. */
import { expect, it } from 'vitest'
import { LogBuffer } from './log-buffer.js'

it('joins chunks into lines per stream and keeps partial lines until flushed', () => {
  const b = new LogBuffer()
  b.append('stdout', 'hel')
  b.append('stderr', 'err\r\nmore')
  b.append('stdout', 'lo\nwor')
  expect(b.lines().map((l) => [l.stream, l.text])).toEqual([['stderr', 'err'], ['stdout', 'hello']])
  b.flush()
  expect(b.lines().map((l) => l.text)).toEqual(['err', 'hello', 'wor', 'more']) // stdout's partial line first
  expect(b.lines().map((l) => l.seq)).toEqual([1, 2, 3, 4])
})

it('keeps at most maxLines lines, dropping the oldest', () => {
  const b = new LogBuffer({ maxLines: 3 })
  for (let i = 0; i < 10_000; i++) b.push('stdout', `l${i}`)
  expect(b.lines().map((l) => l.text)).toEqual(['l9997', 'l9998', 'l9999'])
  expect(b.lines(2).map((l) => l.text)).toEqual(['l9998', 'l9999'])
  expect(b.size.lines).toBe(3)
})

it('keeps at most maxBytes of text', () => {
  const b = new LogBuffer({ maxBytes: 100 })
  for (let i = 0; i < 50; i++) b.push('stdout', 'x'.repeat(30))
  expect(b.size.bytes).toBeLessThanOrEqual(100)
  expect(b.size.lines).toBe(3)
})

it('cuts a line without newline at maxLineLength', () => {
  const b = new LogBuffer({ maxLineLength: 4 })
  b.append('stdout', 'abcdefghij')
  expect(b.lines().map((l) => l.text)).toEqual(['abcd', 'efgh'])
})

it('follow yields the tail, then new lines, and ends on close', async () => {
  const b = new LogBuffer()
  b.push('stdout', 'old1')
  b.push('stdout', 'old2')
  const got: string[] = []
  const done = (async () => {
    for await (const l of b.follow({ tail: 1 })) got.push(l.text)
  })()
  await new Promise((r) => setTimeout(r, 10))
  b.push('stdout', 'new1')
  b.append('stderr', 'partial')
  b.close()
  await done
  expect(got).toEqual(['old2', 'new1', 'partial'])
})

it('subscribe gets new lines until unsubscribed', () => {
  const b = new LogBuffer()
  const seen: string[] = []
  const off = b.subscribe((l) => seen.push(l.text))
  b.push('stdout', 'a')
  off()
  b.push('stdout', 'b')
  expect(seen).toEqual(['a'])
})
