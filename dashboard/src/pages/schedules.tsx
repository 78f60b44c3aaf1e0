/** Not built yet: being written. */
export function SchedulesPage(_props: { namespace?: string | undefined; name?: string | undefined }) {
  return <p>This page is not built yet.</p>
}
