import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { isPrometheusDuration, prometheusConfig } from './prometheus-config.js'

const TOKEN = '/home/me/.chaoscope/token'
const config = (o: Partial<Parameters<typeof prometheusConfig>[0]> & Pick<Parameters<typeof prometheusConfig>[0], 'targets'>) =>
  parse(prometheusConfig({ tokenFile: TOKEN, ...o })) as {
    global: Record<string, string>
    rule_files?: string[]
    scrape_configs: { job_name: string; scheme: string; metrics_path: string; authorization?: { type: string; credentials_file: string }; static_configs: { targets: string[] }[] }[]
  }

describe('prometheusConfig', () => {
  it('scrapes the controller and the runtime with the token file (one for both by default), and load generators without it', () => {
    const c = config({ targets: { controller: 'http://127.0.0.1:4000', runtime: 'http://127.0.0.1:4100/', loads: ['127.0.0.1:9464', 'http://127.0.0.1:9465/metrics'] } })
    expect(c.global).toEqual({ scrape_interval: '5s', evaluation_interval: '5s' })
    expect(c.rule_files).toBeUndefined()
    const auth = { type: 'Bearer', credentials_file: TOKEN }
    expect(c.scrape_configs).toEqual([
      { job_name: 'chaoscope-controller', scheme: 'http', metrics_path: '/metrics', authorization: auth, static_configs: [{ targets: ['127.0.0.1:4000'] }] },
      { job_name: 'chaoscope-runtime', scheme: 'http', metrics_path: '/metrics', authorization: auth, static_configs: [{ targets: ['127.0.0.1:4100'] }] },
      { job_name: 'chaoscope-load', scheme: 'http', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:9464', '127.0.0.1:9465'] }] },
    ])
  })

  it('sends the runtime job the runtime token file when one is given (a `chaoscope server` elsewhere has other tokens)', () => {
    const c = config({ targets: { controller: 'http://127.0.0.1:4000', runtime: 'http://127.0.0.1:4100' }, runtimeTokenFile: '/home/me/.config/runtime.token' })
    expect(c.scrape_configs.map((j) => [j.job_name, j.authorization?.credentials_file])).toEqual([
      ['chaoscope-controller', TOKEN],
      ['chaoscope-runtime', '/home/me/.config/runtime.token'],
    ])
  })

  it('scrapes a controller that shares the runtime\'s address once, through the runtime job (`up` serves both there)', () => {
    const c = config({ targets: { controller: 'http://127.0.0.1:4000', runtime: 'http://127.0.0.1:4000' } })
    expect(c.scrape_configs.map((j) => j.job_name)).toEqual(['chaoscope-runtime'])
  })

  it('takes the interval, the rule files, https and a base path', () => {
    const c = config({ targets: { controller: 'https://chaos.example:8443/team' }, scrapeInterval: '1s', ruleFiles: ['/srv/deploy/prometheus/chaoscope-rules.yml'] })
    expect(c.global.scrape_interval).toBe('1s')
    expect(c.rule_files).toEqual(['/srv/deploy/prometheus/chaoscope-rules.yml'])
    expect(c.scrape_configs[0]).toMatchObject({ scheme: 'https', metrics_path: '/team/metrics', static_configs: [{ targets: ['chaos.example:8443'] }] })
  })

  it('gives load generators on another path their own job, and lists an address once', () => {
    const c = config({ targets: { loads: ['127.0.0.1:9464', '127.0.0.1:9464', 'http://10.0.0.2:9464/m/metrics'] } })
    expect(c.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.static_configs[0]!.targets])).toEqual([
      ['chaoscope-load', '/metrics', ['127.0.0.1:9464']],
      ['chaoscope-load-2', '/m/metrics', ['10.0.0.2:9464']],
    ])
  })

  it('refuses an interval Prometheus would not read, and a target that is not http', () => {
    expect(() => prometheusConfig({ targets: {}, tokenFile: TOKEN, scrapeInterval: '5 s' })).toThrow(/not a Prometheus duration/)
    expect(() => prometheusConfig({ targets: { loads: ['ftp://x:1'] }, tokenFile: TOKEN })).toThrow(/load generator: "ftp:\/\/x:1" is not http/)
  })
})

describe('isPrometheusDuration', () => {
  it.each([['5s', true], ['1m30s', true], ['500ms', true], ['1h', true], ['0s', false], ['30', false], ['1s1m', false], ['', false], ['1.5s', false]])('%s: %s', (text, ok) => {
    expect(isPrometheusDuration(text)).toBe(ok)
  })
})
