/** Not built yet: being written. */
export function WorkflowsPage(_props: { namespace?: string | undefined; name?: string | undefined }) {
  return <p>This page is not built yet.</p>
}
