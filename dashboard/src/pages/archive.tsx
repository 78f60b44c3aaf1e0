/** Not built yet: being written. */
export function ArchivePage(_props: { uid?: string | undefined }) {
  return <p>This page is not built yet.</p>
}
