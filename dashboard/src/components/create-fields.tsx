/**
 * @module dashboard/components/create-fields: the create page's form: the fault, its name and namespace, which pods
 * (a label of the runtime's pods, a mode), how long, and the fields of that fault. Every input has its label.
 */
import type { ReactNode } from 'react'
import { FAULTS, MODES, MODES_WITH_VALUE } from './create-form.js'
import type { FaultId, FormState } from './create-form.js'

export interface FieldsProps {
  form: FormState
  onChange: (patch: Partial<FormState>) => void
  /** `key=value` labels of the runtime's pods, to choose a selector from. */
  labels: readonly string[]
}

function Field({ id, label, children, help }: { id: string; label: string; children: ReactNode; help?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {help ? <div className="help">{help}</div> : null}
    </div>
  )
}

function Text({ id, label, value, onChange, help, placeholder }: { id: string; label: string; value: string; onChange: (v: string) => void; help?: string; placeholder?: string }) {
  return (
    <Field id={id} label={label} {...(help ? { help } : {})}>
      <input id={id} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
    </Field>
  )
}

function LabelChoice({ id, label, value, labels, onChange, none }: { id: string; label: string; value: string; labels: readonly string[]; onChange: (v: string) => void; none: string }) {
  const options = labels.includes(value) || value === '' ? labels : [value, ...labels]
  return (
    <Field id={id} label={label}>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{none}</option>
        {options.map((l) => <option key={l} value={l}>{l}</option>)}
      </select>
    </Field>
  )
}

export function CreateFields({ form, onChange, labels }: FieldsProps) {
  const f = form
  const network = f.fault === 'network-delay' || f.fault === 'network-partition'
  const http = f.fault === 'http-abort' || f.fault === 'http-delay'
  const stress = f.fault === 'stress-cpu' || f.fault === 'stress-memory'
  return (
    <div className="create-fields">
      <Field id="f-fault" label="Fault">
        <select id="f-fault" value={f.fault} onChange={(e) => onChange({ fault: e.target.value as FaultId })}>
          {FAULTS.map((x) => <option key={x.id} value={x.id}>{x.label}</option>)}
        </select>
      </Field>
      <div className="field-row">
        <Text id="f-name" label="Name" value={f.name} onChange={(name) => onChange({ name })} />
        <Text id="f-namespace" label="Namespace" value={f.namespace} onChange={(namespace) => onChange({ namespace })} />
      </div>
      <LabelChoice id="f-label" label="Pods with the label" value={f.label} labels={labels} onChange={(label) => onChange({ label })} none="(every pod of the namespace)" />
      <div className="field-row">
        <Field id="f-mode" label="Mode">
          <select id="f-mode" value={f.mode} onChange={(e) => onChange({ mode: e.target.value as FormState['mode'] })}>
            {MODES.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </Field>
        {MODES_WITH_VALUE.includes(f.mode) ? (
          <Text id="f-value" label={f.mode === 'fixed' ? 'How many pods' : 'Percent of the pods'} value={f.value} onChange={(value) => onChange({ value })} />
        ) : null}
        {f.fault !== 'pod-kill' ? <Text id="f-duration" label="Duration" value={f.duration} onChange={(duration) => onChange({ duration })} help="e.g. 30s, 5m; empty: until deleted" /> : null}
      </div>
      {network ? (
        <>
          <LabelChoice id="f-target" label="Other side: pods with the label" value={f.targetLabel} labels={labels} onChange={(targetLabel) => onChange({ targetLabel })} none={f.fault === 'network-partition' ? '(choose the other side)' : '(any destination)'} />
          <div className="field-row">
            <Field id="f-direction" label="Direction">
              <select id="f-direction" value={f.direction} onChange={(e) => onChange({ direction: e.target.value as FormState['direction'] })}>
                <option value="to">to</option>
                <option value="from">from</option>
                <option value="both">both</option>
              </select>
            </Field>
            {f.fault === 'network-delay' ? (
              <>
                <Text id="f-latency" label="Latency" value={f.latency} onChange={(latency) => onChange({ latency })} />
                <Text id="f-jitter" label="Jitter" value={f.jitter} onChange={(jitter) => onChange({ jitter })} placeholder="none" />
              </>
            ) : null}
          </div>
        </>
      ) : null}
      {http ? (
        <div className="field-row">
          <Field id="f-http-target" label="Target">
            <select id="f-http-target" value={f.httpTarget} onChange={(e) => onChange({ httpTarget: e.target.value as FormState['httpTarget'] })}>
              <option value="Request">Request</option>
              <option value="Response">Response</option>
            </select>
          </Field>
          <Text id="f-port" label="Port" value={f.port} onChange={(port) => onChange({ port })} />
          <Text id="f-path" label="Path" value={f.path} onChange={(path) => onChange({ path })} />
          {f.fault === 'http-delay' ? <Text id="f-http-delay" label="Delay" value={f.httpDelay} onChange={(httpDelay) => onChange({ httpDelay })} /> : null}
          {f.httpTarget === 'Response' ? <Text id="f-code" label="Replace the status code with" value={f.code} onChange={(code) => onChange({ code })} placeholder="e.g. 503" /> : null}
        </div>
      ) : null}
      {stress ? (
        <div className="field-row">
          <Text id="f-workers" label="Workers" value={f.workers} onChange={(workers) => onChange({ workers })} />
          {f.fault === 'stress-cpu'
            ? <Text id="f-load" label="Load per worker (%)" value={f.load} onChange={(load) => onChange({ load })} />
            : <Text id="f-size" label="Memory per worker" value={f.size} onChange={(size) => onChange({ size })} help="e.g. 256MB or 10%" />}
        </div>
      ) : null}
    </div>
  )
}
