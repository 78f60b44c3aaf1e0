/** Not built yet: being written. */
export function PodsPage(_props: { name?: string | undefined }) {
  return <p>This page is not built yet.</p>
}
