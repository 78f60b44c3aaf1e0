/** @module report/formats: the formats a report is written in, and the one a file's name asks for. Loads no renderer. */

export const REPORT_FORMATS = ['json', 'html', 'md'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** The format a file name asks for: `.html`/`.htm`, `.md`/`.markdown`, `.json`; undefined otherwise. */
export function formatOfFile(file: string): ReportFormat | undefined {
  const f = file.toLowerCase()
  if (f.endsWith('.html') || f.endsWith('.htm')) return 'html'
  if (f.endsWith('.md') || f.endsWith('.markdown')) return 'md'
  if (f.endsWith('.json')) return 'json'
  return undefined
}
