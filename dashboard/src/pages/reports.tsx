/** Not built yet: being written. */
export function ReportsPage(_props: { run?: string | undefined }) {
  return <p>This page is not built yet.</p>
}
