/** Not built yet: being written. */
export function CreatePage() {
  return <p>This page is not built yet.</p>
}
