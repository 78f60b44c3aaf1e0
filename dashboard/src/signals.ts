/**
 * @module dashboard/signals: the golden signals (latency, errors, throughput per edge) with the fault windows, read
 * from the report API (GET /api/v1/report?format=json: what the recorder keeps of the sidecars each second) and read
 * again every few seconds while a page shows them.
 */
import { useEffect, useState } from 'react'
import { errorText } from './api.js'
import type { Api } from './api.js'
import { useSession } from './session.js'
import type { ReportData } from './types.js'

export interface Signals {
  data?: ReportData
  error?: string
}

/**
 * The report of `query` (`{since: '15m'}`, or `{from, to}`, or `{run}`), refreshed every `everyMs` (0: once).
 * A range with no traffic yet is no error: the report API says so with REPORT_INVALID_RANGE, shown as "no data".
 */
export function useSignals(api: Api, query: Record<string, string>, everyMs = 5000): Signals {
  const { who } = useSession()
  const [state, setState] = useState<Signals>({})
  const key = JSON.stringify(query)
  useEffect(() => {
    // signals are per edge, across namespaces: the report API refuses a token limited to some (not asked, then)
    if (who.namespaces.length > 0) {
      setState({ error: 'the golden signals span every namespace, so a token limited to namespaces cannot read them (AUTH_NAMESPACE_FORBIDDEN): use a token for every namespace' })
      return
    }
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const read = async () => {
      try {
        const data = await api.get<ReportData>(`/api/v1/report?${new URLSearchParams({ ...query, format: 'json' })}`)
        if (!stopped) setState({ data })
      } catch (e) {
        if (!stopped) setState((s) => ({ ...s, error: errorText(e, { hint: false }) }))
      }
      if (!stopped && everyMs > 0) timer = setTimeout(read, everyMs)
    }
    void read()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [api, key, everyMs, who.namespaces.length])
  return state
}
