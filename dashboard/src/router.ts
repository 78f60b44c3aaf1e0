/**
 * @module dashboard/router: the page's place is its URL's hash (`#/experiments/PodChaos/default/kill`), so that
 * a reload, a bookmark or the back button keep it, and the server serves one page for all of them.
 */
import { useSyncExternalStore } from 'react'

/** The hash's path split on `/`, each part decoded: `#/experiments/PodChaos/default/kill` → ['experiments', 'PodChaos', 'default', 'kill']. */
export function currentRoute(): string[] {
  const path = location.hash.replace(/^#\/?/, '').split('?')[0] ?? ''
  return path.split('/').filter((p) => p !== '').map(decodeURIComponent)
}

/** The query part of the hash (`#/experiments?kind=PodChaos`). */
export function currentQuery(): URLSearchParams {
  const q = location.hash.split('?')[1]
  return new URLSearchParams(q ?? '')
}

/** A hash link to a place: `href('experiments', kind, ns, name)`. */
export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`
}

export function navigate(to: string): void {
  location.hash = to.startsWith('#') ? to : `#${to}`
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

/** The route, re-rendering on every change of the hash. */
export function useRoute(): { parts: string[]; query: URLSearchParams } {
  const hash = useSyncExternalStore(subscribe, () => location.hash)
  void hash
  return { parts: currentRoute(), query: currentQuery() }
}
