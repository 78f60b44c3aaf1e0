/** $(VAR) expansion as the kubelet does it, and how a pod's env is put together. */
import { describe, expect, it } from 'vitest'
import { buildPodEnv, envPrefix, expandArgv, expandVars } from './expand.js'

const vars: Record<string, string> = { PORT: '8080', HOST: 'localhost', EMPTY: '' }
const lookup = (n: string): string | undefined => vars[n]

describe('expandVars', () => {
  it.each([
    ['$(PORT)', '8080'],
    ['http://$(HOST):$(PORT)/', 'http://localhost:8080/'],
    ['$(EMPTY)x', 'x'],
    ['$(UNKNOWN)', '$(UNKNOWN)'], // unresolved references stay as written
    ['$$(PORT)', '$(PORT)'], // $$ escapes
    ['$$$(PORT)', '$8080'],
    ['$$$$', '$$'],
    ['price: $5', 'price: $5'], // a $ that starts nothing stays
    ['trailing $', 'trailing $'],
    ['$(PORT', '$(PORT'], // unclosed
    ['$()', '$()'],
    ['$(PORT)$(PORT)', '80808080'],
    ['no refs', 'no refs'],
  ])('%s → %s', (input, expected) => {
    expect(expandVars(input, lookup)).toBe(expected)
  })
})

describe('buildPodEnv', () => {
  it('expands service env in order against what came before, and runtime variables win', () => {
    const env = buildPodEnv({
      base: { PATH: '/bin', UNSET: undefined },
      service: { A: 'a-$(PORT)', B: '$(A)+$(C)', C: 'c', PORT: '1', CART_ADDR: 'mine' },
      runtime: { PORT: '4000', CART_ADDR: '127.0.0.1:5000' },
    })
    expect(env).toEqual({ PATH: '/bin', PORT: '4000', CART_ADDR: '127.0.0.1:5000', A: 'a-4000', B: 'a-4000+$(C)', C: 'c' })
  })

  it('expandArgv expands command and args from the final env', () => {
    expect(expandArgv(['node', 'srv.js'], ['--port=$(PORT)', '$$(PORT)'], { PORT: '9' })).toEqual(['node', 'srv.js', '--port=9', '$(PORT)'])
  })

  it('envPrefix makes dependency names into variable prefixes', () => {
    expect(envPrefix('product-catalog')).toBe('PRODUCT_CATALOG')
    expect(envPrefix('cart.v2')).toBe('CART_V2')
  })
})
