/** @module report/render: a report's data in one of its three formats, with its content type. */
import type { ReportFormat } from './formats.js'
import { renderHtml } from './html.js'
import { renderMarkdown } from './markdown.js'
import type { ReportData } from './types.js'

export { formatOfFile, REPORT_FORMATS } from './formats.js'
export type { ReportFormat } from './formats.js'

export function renderReport(data: ReportData, format: ReportFormat): { body: string; contentType: string } {
  if (format === 'html') return { body: renderHtml(data), contentType: 'text/html; charset=utf-8' }
  if (format === 'md') return { body: renderMarkdown(data), contentType: 'text/markdown; charset=utf-8' }
  return { body: `${JSON.stringify(data, null, 2)}\n`, contentType: 'application/json; charset=utf-8' }
}
