// Small building blocks shared by the pages: fields, dialogs, notices, durations.
import { useEffect, useId, useRef, useState, type FormEventHandler, type ReactNode } from 'react'
import type { UseQueryResult } from '@tanstack/react-query'
import { ApiError, message } from './api'
import { Link, useLocation } from 'react-router'

interface FieldProps {
  label: string
  error?: string
  hint?: ReactNode
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode
}

/** Field lays out a label, an input, its hint and the server's complaint about it. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId()
  const described = [hint ? id + '-hint' : '', error ? id + '-error' : ''].filter(Boolean).join(' ')
  return (
    <div className={'field' + (error ? ' invalid' : '')}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': !!error, 'aria-describedby': described || undefined })}
      {hint && (
        <p className="hint" id={id + '-hint'}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={id + '-error'} data-field-error>
          {error}
        </p>
      )}
    </div>
  )
}

/** Check is a labelled checkbox with an optional explanation. */
export function Check(props: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void; error?: string }) {
  const id = useId()
  return (
    <div className="check">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
        aria-describedby={props.hint ? id + '-hint' : undefined}
      />
      <div>
        <label htmlFor={id}>{props.label}</label>
        {props.hint && (
          <span className="hint" id={id + '-hint'}>
            {props.hint}
          </span>
        )}
      </div>
      {props.error && <p className="field-error">{props.error}</p>}
    </div>
  )
}

/** Dialog is a modal: focus moves into it, Escape and the close button call onClose. */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const onClose = useRef(props.onClose)
  onClose.current = props.onClose
  useEffect(() => {
    const d = ref.current
    if (!d) return
    const opener = document.activeElement as HTMLElement | null
    if (!d.open) d.showModal()
    // showModal focuses the first focusable element, the close button; the
    // first field (or the element marked data-autofocus) is where work starts.
    d.querySelector<HTMLElement>('[data-autofocus], .dialog-body :is(input, select, textarea)')?.focus()
    const cancel = (e: Event) => {
      e.preventDefault() // we close it ourselves, so React state stays the truth
      onClose.current()
    }
    d.addEventListener('cancel', cancel)
    return () => {
      d.removeEventListener('cancel', cancel)
      opener?.focus?.()
    }
  }, [])
  return (
    <dialog ref={ref} className={props.wide ? 'wide' : ''} aria-labelledby={titleId}>
      <header className="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  )
}

/** InUse is the API's 409 answer to deleting what others still use. */
interface InUse {
  error: string
  flows?: string[] | null
  numbers?: string[] | null
}

function inUse(e: unknown): InUse | null {
  return e instanceof ApiError && e.status === 409 && e.body && typeof e.body === 'object' ? (e.body as InUse) : null
}

/**
 * Confirm asks before something that cannot be undone, and shows it if that
 * fails: a refusal because flows or numbers still use it lists them, then
 * says what to do (inUseAdvice).
 */
export function Confirm(props: {
  title: string
  children: ReactNode
  action: string
  onConfirm: () => Promise<void>
  onClose: () => void
  inUseAdvice?: string
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ReactNode>('')
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError('')
          try {
            await props.onConfirm()
          } catch (err) {
            const used = inUse(err)
            setError(used ? <InUseRefusal used={used} advice={props.inUseAdvice} /> : message(err))
            setBusy(false)
          }
        }}
      >
        <div className="dialog-body">{props.children}</div>
        {error && <Notice kind="error">{error}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy} data-autofocus>
            {busy ? 'Working…' : props.action}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

function InUseRefusal({ used, advice }: { used: InUse; advice?: string }) {
  const lists: [string, string[]][] = [
    ['Call flows', used.flows ?? []],
    ['Phone numbers', used.numbers ?? []],
  ]
  return (
    <span className="in-use">
      <span>
        {used.error.charAt(0).toUpperCase() + used.error.slice(1)}.{advice ? ' ' + advice : ''}
      </span>
      {lists
        .filter(([, names]) => names.length > 0)
        .map(([what, names]) => (
          <span key={what} className="in-use-list">
            <strong>{what}:</strong>
            <ul aria-label={what + ' that use it'}>
              {names.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </span>
        ))}
    </span>
  )
}

/** Notice is a message in the flow of the page; errors are announced at once. */
export function Notice(props: { kind: 'error' | 'info' | 'success'; children: ReactNode; action?: ReactNode }) {
  return (
    <div className={'notice ' + props.kind} role={props.kind === 'error' ? 'alert' : 'status'}>
      <span>{props.children}</span>
      {props.action}
    </div>
  )
}

export function Loading(props: { what: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {props.what}…
    </p>
  )
}

export function Empty(props: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{props.title}</h3>
      <p>{props.children}</p>
      {props.action}
    </div>
  )
}

/** focusFirstError moves focus to the first input the server refused, once it is on screen. */
export function focusFirstError(root: HTMLElement | null) {
  requestAnimationFrame(() => {
    const el = root?.querySelector<HTMLElement>('[aria-invalid="true"]')
    el?.focus()
  })
}

/** duration reads seconds as 0:42 or 1:02:03. */
export function duration(s: number): string {
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** Menu is a "..." button opening a short list of actions; Escape or a click elsewhere closes it. */
export function Menu(props: { label: string; items: { label: string; onSelect: () => void }[] }) {
  const [open, setOpen] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  const id = useId()
  useEffect(() => {
    if (!open) return
    root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus()
    const away = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', away)
    return () => document.removeEventListener('mousedown', away)
  }, [open])
  const keys = (e: React.KeyboardEvent) => {
    const items = [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])]
    const at = items.indexOf(document.activeElement as HTMLElement)
    if (e.key === 'Escape') {
      setOpen(false)
      root.current?.querySelector<HTMLElement>('button')?.focus()
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus()
    }
  }
  return (
    <div className="menu" ref={root} onKeyDown={keys}>
      <button type="button" className="icon" aria-label={props.label} aria-haspopup="menu" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        ⋯
      </button>
      {open && (
        <div className="menu-list" role="menu" id={id} aria-label={props.label}>
          {props.items.map((it) => (
            <button
              key={it.label}
              type="button"
              role="menuitem"
              onClick={() => {
                setOpen(false)
                it.onSelect()
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      )}
    </div>
  )
}

/** NotFound is the page for an address the app has nothing at. */
export function NotFound() {
  const { pathname } = useLocation()
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{pathname}</code>. <Link to="/telephony/users">Go to Telephony</Link>.
      </p>
    </section>
  )
}

/**
 * FormDialog is a dialog holding one form: its fields, the complaint that
 * belongs to no field, and Cancel beside the submit button.
 */
export function FormDialog(props: {
  title: string
  onClose: () => void
  onSubmit: FormEventHandler<HTMLFormElement>
  children: ReactNode
  submit: string
  busy?: boolean
  busyLabel?: string
  error?: ReactNode
  wide?: boolean
  grid?: boolean
  formRef?: React.Ref<HTMLFormElement>
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose} wide={props.wide}>
      <form ref={props.formRef} onSubmit={props.onSubmit} noValidate>
        <div className={'dialog-body' + (props.grid ? ' grid' : '')}>{props.children}</div>
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={props.busy}>
            {props.busy ? (props.busyLabel ?? 'Saving…') : props.submit}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

/**
 * serverErrors splits a refusal into the messages for the form's own fields
 * (422, by field) and one sentence for the rest: the fields the form does
 * not show, or the whole refusal.
 */
export function serverErrors<K extends string>(err: unknown, known: readonly K[]): { fields: Partial<Record<K, string>>; other: string } {
  if (!(err instanceof ApiError) || Object.keys(err.fields).length === 0) return { fields: {}, other: message(err) }
  const fields: Partial<Record<K, string>> = {}
  const rest: string[] = []
  for (const [k, m] of Object.entries(err.fields)) {
    if ((known as readonly string[]).includes(k)) fields[k as K] = m
    else rest.push(`${k}: ${m}`)
  }
  return { fields, other: rest.join('; ') }
}

export interface Column<T> {
  /** label heads the column, and each cell on a phone, where the table becomes cards. */
  label: string
  cell: (row: T) => ReactNode
  className?: string
}

/** Table lists rows under labelled columns, with each row's buttons at the end; on a phone each row is a card. */
export function Table<T>(props: {
  label: string
  rows: T[]
  columns: Column<T>[]
  rowKey: (row: T) => string | number
  rowProps?: (row: T) => Record<`data-${string}`, string | number | undefined>
  actions?: (row: T) => ReactNode
}) {
  return (
    <table className="list" aria-label={props.label}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.label} scope="col">
              {c.label}
            </th>
          ))}
          {props.actions && (
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={props.rowKey(r)} {...props.rowProps?.(r)}>
            {props.columns.map((c) => (
              <td key={c.label} data-label={c.label} className={c.className}>
                {c.cell(r)}
              </td>
            ))}
            {props.actions && <td className="actions">{props.actions(r)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * Loaded shows what a query brought: its failure with a way to try again,
 * a spinner while it loads, then children with the data.
 */
export function Loaded<T>(props: { query: UseQueryResult<T>; what: string; children: (data: T) => ReactNode }) {
  const { data, error, refetch } = props.query
  if (error && data === undefined)
    return (
      <Notice kind="error" action={<button onClick={() => refetch()}>Try again</button>}>
        {props.what[0].toUpperCase() + props.what.slice(1)} could not be loaded: {message(error)}
      </Notice>
    )
  if (data === undefined) return <Loading what={props.what} />
  return <>{props.children(data)}</>
}

/** RowActions are a row's Edit and Delete buttons (Delete may be named otherwise: Remove, Revoke), each naming the row for screen readers. */
export function RowActions(props: { name: string; onEdit?: () => void; onDelete: () => void; remove?: string }) {
  const remove = props.remove ?? 'Delete'
  return (
    <>
      {props.onEdit && (
        <button onClick={props.onEdit} aria-label={`Edit ${props.name}`}>
          Edit
        </button>
      )}
      <button className="danger-text" onClick={props.onDelete} aria-label={`${remove} ${props.name}`}>
        {remove}
      </button>
    </>
  )
}

/**
 * useFormErrors keeps a hand-written form's refusals: the server's message
 * per field it shows, one sentence for the rest, and focus on the first
 * refused input.
 */
export function useFormErrors<K extends string>(known: readonly K[], form: React.RefObject<HTMLFormElement | null>) {
  const [errors, setErrors] = useState<Partial<Record<K, string>>>({})
  const [other, setOther] = useState('')
  return {
    errors,
    other,
    clear() {
      setErrors({})
      setOther('')
    },
    show(err: unknown) {
      const r = serverErrors(err, known)
      setErrors(r.fields)
      setOther(r.other)
      focusFirstError(form.current)
    },
  }
}
