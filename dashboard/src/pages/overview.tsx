/** Not built yet: being written. */
export function OverviewPage() {
  return <p>This page is not built yet.</p>
}
