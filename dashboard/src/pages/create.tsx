/**
 * @module dashboard/pages/create: a new experiment (`#/new`, writers only), written as YAML or through a form for
 * the common faults. Every change of the text is checked as an apply's dry run checks it (after a pause in typing):
 * its issues are marked in the editor and listed beside it; a valid document shows what it would select. Apply applies
 * it and opens the new experiment.
 *
 *   form ─▶ formYaml ─▶ text ◀─ editor
 *   text ─(400 ms)─▶ POST /api/v1/validate ─▶ {valid, issues, items (the plan)}
 *   Apply ─▶ POST /api/v1/resources ─▶ #/experiments/KIND/NS/NAME
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import type { EditorView } from 'codemirror'
import { ApiError, errorText } from '../api.js'
import { navigate, href } from '../router.js'
import { podsFor, useSession } from '../session.js'
import type { Issue, Pod } from '../types.js'
import { YamlEditor, moveTo } from '../components/editor.js'
import { CreateFields } from '../components/create-fields.js'
import { IssueList, PlanView } from '../components/create-check.js'
import type { Check, DryRunItem } from '../components/create-check.js'
import { INITIAL_FORM, formYaml, generatedName } from '../components/create-form.js'
import type { FormState } from '../components/create-form.js'

/** How long typing must pause before the text is checked. */
const CHECK_DELAY_MS = 400
const FILE = 'editor.yaml'

function newForm(): FormState {
  return { ...INITIAL_FORM, name: generatedName(INITIAL_FORM.fault) }
}

export function CreatePage() {
  const { api } = useSession()
  const [tab, setTab] = useState<'form' | 'yaml'>('form')
  const [form, setForm] = useState<FormState>(newForm)
  const [text, setText] = useState(() => formYaml(form))
  const check = useDryRun(text)
  const [applying, setApplying] = useState(false)
  const [applyError, setApplyError] = useState<string | undefined>()
  const view = useRef<EditorView | undefined>(undefined)
  const pods = usePods()

  const change = (patch: Partial<FormState>) => {
    const next = { ...form, ...patch }
    // a name still the generated one follows the fault
    if (patch.fault && /-[a-z0-9]{6}$/.test(form.name) && form.name.startsWith(form.fault)) next.name = generatedName(patch.fault)
    setForm(next)
    setText(formYaml(next))
  }

  const apply = async () => {
    setApplying(true)
    setApplyError(undefined)
    try {
      const answer = await api.apply<{ items: DryRunItem[] }>(text, { file: FILE })
      const o = answer.items[0]?.object
      if (o) navigate(href('experiments', o.kind, o.metadata.namespace, o.metadata.name))
    } catch (e) {
      setApplyError(errorText(e))
    } finally {
      setApplying(false)
    }
  }

  const issues = check.state === 'invalid' && check.text === text ? check.issues : []
  const ready = check.state === 'valid' && check.text === text
  return (
    <section aria-labelledby="create-title" className="create">
      <h1 id="create-title">New experiment</h1>
      {/* the tabs pattern: Tab reaches the chosen tab, the arrow keys move between them */}
      <div role="tablist" aria-label="How to write it" className="tabs" onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return
        e.preventDefault()
        const next = e.key === 'Home' ? 'form' : e.key === 'End' ? 'yaml' : tab === 'form' ? 'yaml' : 'form'
        setTab(next)
        document.getElementById(`tab-${next}`)?.focus()
      }}>
        <button type="button" role="tab" id="tab-form" aria-selected={tab === 'form'} aria-controls="panel-form" tabIndex={tab === 'form' ? 0 : -1} onClick={() => setTab('form')}>Form</button>
        <button type="button" role="tab" id="tab-yaml" aria-selected={tab === 'yaml'} aria-controls="panel-yaml" tabIndex={tab === 'yaml' ? 0 : -1} onClick={() => setTab('yaml')}>YAML</button>
      </div>
      <div className="create-body">
        <div>
          <div role="tabpanel" id="panel-form" aria-labelledby="tab-form" hidden={tab !== 'form'} className="panel">
            <p className="help">The form writes the YAML (see the YAML tab); changing the form replaces what the YAML tab holds.</p>
            <CreateFields form={form} onChange={change} labels={pods.labels} />
            <Candidates form={form} pods={pods.items} error={pods.error} />
          </div>
          <div role="tabpanel" id="panel-yaml" aria-labelledby="tab-yaml" hidden={tab !== 'yaml'} className="panel">
            <YamlEditor value={text} onChange={setText} issues={issues} onView={(v) => (view.current = v)} label="Experiment YAML" />
          </div>
        </div>
        <div className="panel create-check" aria-live="polite">
          <h2>Check</h2>
          <CheckView check={check} text={text} onPick={(i) => { setTab('yaml'); setTimeout(() => view.current && moveTo(view.current, i.line, i.col)) }} />
          <div className="actions">
            <button type="button" className="primary" disabled={!ready || applying} onClick={apply}>{applying ? 'Applying…' : 'Apply'}</button>
            <button type="button" onClick={() => { const f = newForm(); setForm(f); setText(formYaml(f)) }}>Start again</button>
          </div>
          {applyError ? <p role="alert" className="error">{applyError}</p> : null}
        </div>
      </div>
    </section>
  )
}

function CheckView({ check, text, onPick }: { check: Check; text: string; onPick: Parameters<typeof IssueList>[0]['onPick'] }) {
  if (check.state === 'empty') return <p className="muted">Write a document to check it.</p>
  if (check.text !== text || check.state === 'checking') return <p className="muted">Checking…</p>
  if (check.state === 'valid') return <><p className="ok">Valid.</p><PlanView items={check.items} /></>
  if (check.state === 'refused') return <p className="error">{check.message}{check.hint ? <span className="help"> {check.hint}</span> : null}</p>
  return (
    <>
      <p className="error">{check.issues.length} problem{check.issues.length === 1 ? '' : 's'}: {check.issues.length ? 'fix them to apply.' : check.message}</p>
      <IssueList issues={check.issues} onPick={onPick} />
    </>
  )
}

/** The dry run of `text`, once typing paused; a later text's answer replaces an earlier one's. */
function useDryRun(text: string): Check {
  const { api } = useSession()
  const [check, setCheck] = useState<Check>({ state: 'empty' })
  useEffect(() => {
    if (text.trim() === '') {
      setCheck({ state: 'empty' })
      return
    }
    let stale = false
    const t = setTimeout(async () => {
      setCheck({ state: 'checking', text })
      try {
        const answer = await api.validate<{ valid: boolean; issues: Issue[]; items: DryRunItem[] }>(text, FILE)
        if (stale) return
        if (answer.valid) setCheck({ state: 'valid', text, items: answer.items })
        else setCheck({ state: 'invalid', text, message: `${answer.issues.length} problem(s)`, issues: answer.issues })
      } catch (e) {
        // what is not a problem of the text: the body too deep or large, the controller stopping, the token refused
        if (!stale) setCheck({ state: 'refused', text, message: errorText(e, { hint: false }), hint: e instanceof ApiError ? e.hint : undefined })
      }
    }, CHECK_DELAY_MS)
    return () => {
      stale = true
      clearTimeout(t)
    }
  }, [text, api])
  return check
}

/** The runtime's pods (read once) and their labels as `key=value`, to offer as selectors. */
function usePods(): { items: Pod[]; labels: string[]; error?: string } {
  const session = useSession()
  const { api } = session
  const [items, setItems] = useState<Pod[]>([])
  const [error, setError] = useState<string | undefined>()
  useEffect(() => {
    podsFor(session).then(setItems, (e) => setError(e instanceof ApiError ? e.message : String(e)))
  }, [api])
  const labels = useMemo(() => [...new Set(items.flatMap((p) => Object.entries(p.labels).map(([k, v]) => `${k}=${v}`)))].sort(), [items])
  return { items, labels, ...(error ? { error } : {}) }
}

/** The pods of the namespace that carry the chosen label: what the mode then picks from. */
function Candidates({ form, pods, error }: { form: FormState; pods: Pod[]; error: string | undefined }) {
  if (error) return <p className="muted">The runtime's pods cannot be listed: {error}</p>
  const [k, v] = form.label.split('=')
  const matching = pods.filter((p) => p.namespace === form.namespace && (!form.label || (k !== undefined && p.labels[k] === v)))
  return (
    <div className="candidates">
      <h3>Pods the selector matches ({matching.length})</h3>
      {matching.length ? <p className="mono">{matching.map((p) => p.name).join(', ')}</p> : <p className="error">None in namespace {form.namespace}.</p>}
      <p className="help">The check on the right says which of them the mode ({form.mode}) picks.</p>
    </div>
  )
}
