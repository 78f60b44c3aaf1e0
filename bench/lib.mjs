// What several benchmarks share: a free loopback port, and HAProxy's config for a plain TCP hop (their baseline).
import net from 'node:net'

/** A port free on 127.0.0.1 now (the kernel's pick). */
export async function freePort() {
  const s = net.createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const p = s.address().port
  await new Promise((r) => s.close(r))
  return p
}

/** HAProxy in `mode tcp` with one thread, listening on 127.0.0.1:`port` in front of 127.0.0.1:`upPort`. */
export function haproxyTcpConfig(port, upPort, maxconn = 1000) {
  return `global
  nbthread 1
  maxconn ${maxconn}
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${upPort}
`
}
