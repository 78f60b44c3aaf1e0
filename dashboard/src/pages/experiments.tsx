/** Not built yet: being written. */
export function ExperimentsPage() {
  return <p>This page is not built yet.</p>
}
