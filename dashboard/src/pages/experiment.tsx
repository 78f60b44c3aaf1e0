/** Not built yet: being written. */
export function ExperimentPage(_props: { kind: string; namespace: string; name: string }) {
  return <p>This page is not built yet.</p>
}
