/**
 * @module dashboard/components/workflow-view: the SVG of a workflow's layout (workflow-graph.ts): the entry as a
 * dot, each template a box (a group a frame around its children) coloured by its node's phase, edges as lines.
 * Every box is a focusable button (Tab to it, Enter or Space to choose it).
 */
import type { KeyboardEvent } from 'react'
import type { Box, Layout } from './workflow-graph.js'

const MARGIN = 12
const ENTRY = 48

/** The CSS class of a phase's colour. */
export function phaseClass(phase: string): string {
  return `wf-${phase.toLowerCase()}`
}

export function WorkflowView({ layout, selected, onSelect, label }: { layout: Layout; selected: string | undefined; onSelect: (template: string) => void; label: string }) {
  const dx = MARGIN + ENTRY
  const dy = MARGIN
  const width = layout.width + dx + MARGIN
  const height = Math.max(layout.height + 2 * MARGIN, 80)
  const root = layout.boxes[0]
  return (
    <div className="workflow-graph">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={label}>
        <defs>
          <marker id="wf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="wf-arrow" />
          </marker>
        </defs>
        {root ? (
          <g aria-hidden="true">
            <circle cx={MARGIN + 8} cy={dy + root.h / 2} r={7} className="wf-entry" />
            <line x1={MARGIN + 15} y1={dy + root.h / 2} x2={dx} y2={dy + root.h / 2} className="wf-edge" markerEnd="url(#wf-arrow)" />
          </g>
        ) : null}
        <g transform={`translate(${dx} ${dy})`}>
          {layout.boxes.filter((b) => b.group).map((b) => <NodeBox key={b.template.name} box={b} selected={selected === b.template.name} onSelect={onSelect} />)}
          <g aria-hidden="true">
            {layout.edges.map((e, i) => <line key={i} x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} className="wf-edge" markerEnd="url(#wf-arrow)" />)}
          </g>
          {layout.boxes.filter((b) => !b.group).map((b) => <NodeBox key={b.template.name} box={b} selected={selected === b.template.name} onSelect={onSelect} />)}
        </g>
      </svg>
    </div>
  )
}

function NodeBox({ box, selected, onSelect }: { box: Box; selected: boolean; onSelect: (template: string) => void }) {
  const choose = () => onSelect(box.template.name)
  const key = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      choose()
    }
  }
  const name = box.template.name
  return (
    <g
      role="button"
      tabIndex={0}
      aria-pressed={selected}
      aria-label={`${name}, ${box.template.templateType}, ${box.phase}`}
      className={`wf-node ${phaseClass(box.phase)}${box.group ? ' wf-group' : ''}${selected ? ' selected' : ''}`}
      data-template={name}
      data-phase={box.phase}
      onClick={choose}
      onKeyDown={key}
    >
      <rect x={box.x} y={box.y} width={box.w} height={box.h} rx={8} />
      <text x={box.x + 10} y={box.y + 19} className="wf-name">{clip(name, box.w)}</text>
      {box.group ? (
        <text x={box.x + 18 + textWidth(name, box.w)} y={box.y + 19} className="wf-type">{box.template.templateType} · {box.phase}</text>
      ) : (
        <>
          <text x={box.x + 10} y={box.y + 37} className="wf-type">{box.template.templateType}</text>
          <text x={box.x + 10} y={box.y + 55} className="wf-phase">{box.phase}</text>
        </>
      )}
    </g>
  )
}

/** Cuts a name that would not fit in a box `w` wide (about 7.5 px a character). */
function clip(text: string, w: number): string {
  const max = Math.floor((w - 20) / 7.5)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

function textWidth(text: string, w: number): number {
  return clip(text, w).length * 7.5
}
