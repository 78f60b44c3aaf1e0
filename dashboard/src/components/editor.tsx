/**
 * @module dashboard/components/editor: a YAML editor (CodeMirror 6) that shows the API's issues where they are:
 * underlined at their line and column, marked in the gutter. The issues come from outside (the create page's dry
 * run), so the editor's own linter is not used: they are set as diagnostics whenever they change.
 * The editor lives in a shadow root of its box: there CodeMirror styles itself through a constructed style sheet
 * (CSSOM), which the page's CSP (style-src 'self') allows; in the document itself it would add a <style> element,
 * which that CSP blocks. So its look is set by {@link THEME}, not by styles.css.
 */
import { useEffect, useRef } from 'react'
import { basicSetup, EditorView } from 'codemirror'
import { yaml } from '@codemirror/lang-yaml'
import { lintGutter, setDiagnostics } from '@codemirror/lint'
import type { Diagnostic } from '@codemirror/lint'
import type { Text } from '@codemirror/state'
import type { Issue } from '../types.js'

export interface EditorProps {
  value: string
  onChange: (text: string) => void
  issues: readonly Issue[]
  /** Hands out the view, so that the page can move the cursor to an issue ({@link moveTo}). */
  onView?: (view: EditorView | undefined) => void
  label: string
}

/** The offset of `line`:`col` (both from 1) in `doc`, kept inside the document. */
export function offsetOf(doc: Text, line: number, col: number): number {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines))
  return Math.min(l.from + Math.max(0, col - 1), l.to)
}

/** An issue as a diagnostic: from its position to the end of the word there (or the line's end). */
function diagnosticOf(doc: Text, issue: Issue): Diagnostic {
  const from = offsetOf(doc, issue.line, issue.col)
  const line = doc.lineAt(from)
  const word = /^[^\s:,]+/.exec(doc.sliceString(from, line.to))
  const to = word ? from + word[0].length : line.to
  return { from, to: Math.max(to, from), severity: 'error', source: issue.code, message: `${issue.path ? `${issue.path}: ` : ''}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}` }
}

/** Puts the cursor at `line`:`col` and the focus in the editor. */
export function moveTo(view: EditorView, line: number, col: number): void {
  const at = offsetOf(view.state.doc, line, col)
  view.dispatch({ selection: { anchor: at }, scrollIntoView: true })
  view.focus()
}

/** The editor's look (styles.css does not reach into its shadow root). */
const THEME = EditorView.theme({
  '&': { minHeight: '26em', maxHeight: '70vh', fontSize: '14px', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', minHeight: '26em' },
  '&.cm-focused': { outline: '3px solid #0a58ca', outlineOffset: '-3px' },
})

export function YamlEditor({ value, onChange, issues, onView, label }: EditorProps) {
  const box = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | undefined>(undefined)
  const changed = useRef(onChange)
  changed.current = onChange

  useEffect(() => {
    const host = box.current!
    const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' })
    const parent = document.createElement('div')
    shadow.appendChild(parent)
    const v = new EditorView({
      parent,
      root: shadow,
      doc: value,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        THEME,
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) changed.current(u.state.doc.toString())
        }),
      ],
    })
    view.current = v
    onView?.(v)
    return () => {
      onView?.(undefined)
      v.destroy()
      parent.remove()
      view.current = undefined
    }
  }, [])

  // a value set from outside (the form) replaces the text; the editor's own typing is already there
  useEffect(() => {
    const v = view.current
    if (!v || v.state.doc.toString() === value) return
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } })
  }, [value])

  useEffect(() => {
    const v = view.current
    if (!v) return
    const doc = v.state.doc
    v.dispatch(setDiagnostics(v.state, issues.map((i) => diagnosticOf(doc, i))))
  }, [issues])

  return <div ref={box} className="yaml-editor" />
}
