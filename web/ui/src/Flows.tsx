import { lazy, Suspense, useRef, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ApiError, message, type Api } from './api'
import './flows.css'
import { flowStatus, useCreateFlow, useDeleteFlow, useFlows, useNumbers, useSetEnabled, type Flow, type PhoneNumber } from './flows'
import { Confirm, Dialog, Empty, Field, Loading, Menu, NotFound, Notice, Table, focusFirstError } from './ui'

// The builder and its graph library are large: they load when a flow is opened.
const FlowBuilder = lazy(() => import('./FlowBuilder').then((m) => ({ default: m.FlowBuilder })))

/** Flows is the Call flows tab: the list at /telephony/flows, a flow's builder at /telephony/flows/<id>. */
export function Flows({ api }: { api: Api }) {
  const rest = useParams()['*'] ?? ''
  if (rest === '') return <FlowList api={api} />
  if (!/^[1-9][0-9]*$/.test(rest)) return <NotFound />
  return (
    <Suspense fallback={<Loading what="the flow builder" />}>
      <FlowBuilder api={api} id={Number(rest)} key={rest} />
    </Suspense>
  )
}

function FlowList({ api }: { api: Api }) {
  const flows = useFlows(api)
  const enable = useSetEnabled(api)
  const remove = useDeleteFlow(api)
  const [creating, setCreating] = useState(false)
  const [deleting, setDeleting] = useState<Flow | null>(null)
  const [done, setDone] = useState('')
  const [error, setError] = useState('')
  const navigate = useNavigate()

  return (
    <div>
      <div className="toolbar">
        <p className="muted">A flow decides what happens to calls to its numbers. Calls run the published version.</p>
        <button className="primary" onClick={() => setCreating(true)}>
          Create flow
        </button>
      </div>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {flows.isError && (
        <Notice kind="error" action={<button onClick={() => flows.refetch()}>Try again</button>}>
          Call flows could not be loaded: {message(flows.error)}
        </Notice>
      )}
      {flows.isPending && <Loading what="call flows" />}
      {flows.data && flows.data.length === 0 && (
        <Empty title="No call flows yet" action={<button className="primary" onClick={() => setCreating(true)}>Create the first flow</button>}>
          Build what callers hear and where their calls go: menus, transfers to users and groups, announcements and voicemail.
        </Empty>
      )}
      {flows.data && flows.data.length > 0 && (
        <Table
          label="Call flows"
          rows={flows.data}
          rowKey={(f) => f.id}
          rowProps={(f) => ({ 'data-flow': f.name })}
          columns={[
            {
              label: 'Name',
              cell: (f) => (
                <>
                  <Link to={`/telephony/flows/${f.id}`}>
                    <strong>{f.name}</strong>
                  </Link>
                  {f.description && <span className="sub">{f.description}</span>}
                </>
              ),
            },
            {
              label: 'Numbers',
              cell: (f) =>
                (f.numbers ?? []).length === 0 ? <span className="muted">No numbers</span> : (f.numbers ?? []).map((n) => <span key={n} className="number">{n}</span>),
            },
            {
              label: 'State',
              cell: (f) => {
                const st = flowStatus(f)
                return <span className={'flow-status ' + st.kind}>{st.label}</span>
              },
            },
            {
              label: 'Enabled',
              cell: (f) => (
                <label className="switch">
                  <input
                    type="checkbox"
                    role="switch"
                    // The switch moves with the click: the list's own
                    // optimistic update lands a tick later, after React has
                    // put a controlled checkbox back.
                    checked={enable.isPending && enable.variables?.id === f.id ? enable.variables.enabled : !!f.enabled}
                    disabled={enable.isPending}
                    aria-label={`${f.name} enabled`}
                    onChange={(e) => {
                      setError('')
                      setDone('')
                      enable.mutate(
                        { id: f.id, enabled: e.target.checked },
                        {
                          onSuccess: (x) => setDone(x.enabled ? `${x.name} takes calls again.` : `${x.name} is disabled: calls to its numbers are rejected.`),
                          onError: (err) => setError(message(err)),
                        },
                      )
                    }}
                  />
                  <span aria-hidden="true">{f.enabled ? 'On' : 'Off'}</span>
                </label>
              ),
            },
          ]}
          actions={(f) => (
            <Menu
              label={`Actions for ${f.name}`}
              items={[
                { label: 'Open the builder', onSelect: () => navigate(`/telephony/flows/${f.id}`) },
                { label: 'Delete', onSelect: () => setDeleting(f) },
              ]}
            />
          )}
        />
      )}
      {creating && (
        <CreateFlow
          api={api}
          onClose={() => setCreating(false)}
          onCreated={(f) => {
            setCreating(false)
            navigate(`/telephony/flows/${f.id}`)
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          action="Delete flow"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await remove.mutateAsync(deleting.id)
            setDeleting(null)
            setDone(`${deleting.name} was deleted.`)
          }}
        >
          <p>
            Its draft and every published version go.
            {(deleting.numbers ?? []).length > 0 && ` Calls to ${(deleting.numbers ?? []).join(', ')} will be rejected until the numbers are linked to another flow.`} This cannot be
            undone.
          </p>
        </Confirm>
      )}
    </div>
  )
}

function CreateFlow(props: { api: Api; onClose: () => void; onCreated: (f: Flow) => void }) {
  const create = useCreateFlow(props.api)
  const numbers = useNumbers(props.api)
  const flows = useFlows(props.api)
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [chosen, setChosen] = useState<string[]>([])
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState('')
  const form = useRef<HTMLFormElement>(null)

  const submit = (e: React.FormEvent) => {
    e.preventDefault()
    setErrors({})
    setFormError('')
    create.mutate(
      { name: name.trim(), description: description.trim(), numbers: chosen, states: [], connections: [] },
      {
        onSuccess: props.onCreated,
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
            setErrors(err.fields)
            const other = Object.entries(err.fields).filter(([k]) => !['name', 'description', 'numbers'].includes(k))
            if (other.length) setFormError(other.map(([k, m]) => `${k}: ${m}`).join('; '))
            focusFirstError(form.current)
          } else setFormError(message(err))
        },
      },
    )
  }

  return (
    <Dialog title="Create a call flow" onClose={props.onClose} wide>
      <form ref={form} onSubmit={submit} noValidate>
        <div className="dialog-body">
          <Field label="Name" error={errors.name}>
            {(a) => <input {...a} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Description" error={errors.description}>
            {(a) => <textarea {...a} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <NumberPicker numbers={numbers.data} flows={flows.data ?? []} chosen={chosen} onChange={setChosen} error={errors.numbers} loading={numbers.isPending} />
        </div>
        {formError && <Notice kind="error">{formError}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create and open the builder'}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

/** NumberPicker chooses the numbers a flow answers; a number that answers another flow says which. */
export function NumberPicker(props: {
  numbers: PhoneNumber[] | undefined
  flows: Flow[]
  chosen: string[]
  onChange: (n: string[]) => void
  error?: string
  loading?: boolean
  flowId?: number
}) {
  const flowName = (id: number | null | undefined) => props.flows.find((f) => f.id === id)?.name
  return (
    <fieldset className={'options' + (props.error ? ' invalid' : '')}>
      <legend>Numbers</legend>
      <p className="hint">Calls to these numbers follow the flow once it is published.</p>
      {props.loading && <Loading what="numbers" />}
      {props.numbers?.length === 0 && <p className="muted">No phone numbers yet: buy one under Phone numbers, then link it here.</p>}
      <div className="chips">
        {props.numbers?.map((n) => {
          const other = n.flow_id && n.flow_id !== props.flowId ? flowName(n.flow_id) : undefined
          return (
            <label key={n.e164} className="check">
              <input
                type="checkbox"
                checked={props.chosen.includes(n.e164)}
                onChange={(e) => props.onChange(e.target.checked ? [...props.chosen, n.e164] : props.chosen.filter((x) => x !== n.e164))}
              />
              <span>
                {n.e164}
                {other && <span className="hint">now answers {other}</span>}
              </span>
            </label>
          )
        })}
      </div>
      {props.error && <p className="field-error">{props.error}</p>}
    </fieldset>
  )
}
