// Call history: every call the PBX handled, filtered by type, owner and
// period. The filters live in the address (?type=missed&period=last_week),
// so a view can be shared and survives a reload; each change cancels the
// request for the last one.
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useSearchParams } from 'react-router'
import { ApiError, callsCsvUrl, message, recordingUrl, type Api, type CallFilter, type CallRecord, type CallType } from './api'
import { money, useWallet } from './billing'
import { useUsers } from './people'
import { Empty, Loading, Notice, Table, duration, type Column } from './ui'

const pageSize = 50

const typeLabels: Record<CallType, string> = { incoming: 'Incoming', outgoing: 'Outgoing', missed: 'Missed' }
const directionLabels: Record<CallRecord['direction'], string> = { inbound: 'From outside', outbound: 'To outside', internal: 'Internal' }

/** Shown is what the Type filter offers: the call types, and voicemail messages as a view of their own. */
type Shown = CallType | 'voicemail' | ''

const presets = [
  { id: 'today', label: 'Today' },
  { id: 'yesterday', label: 'Yesterday' },
  { id: 'this_week', label: 'This week' },
  { id: 'last_week', label: 'Last week' },
  { id: 'this_month', label: 'This month' },
  { id: 'last_month', label: 'Last month' },
] as const
type Preset = (typeof presets)[number]['id']
type Period = Preset | 'custom' | ''

/** ymd writes a day in the browser's time zone as a date input's YYYY-MM-DD. */
function ymd(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** day reads YYYY-MM-DD as that day's midnight in the browser's time zone, addDays later. */
function day(date: string, addDays = 0): Date {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(y, m - 1, d + addDays)
}

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(day(s).getTime())

/**
 * presetDays is the first and the last day (both included) of a preset
 * period, in the browser's time zone, as the list shows times. Weeks start
 * on Monday.
 */
function presetDays(p: Preset, now = new Date()): { from: string; to: string } {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  const at = (days: number, from = today) => new Date(from.getFullYear(), from.getMonth(), from.getDate() + days)
  const monday = at(-((today.getDay() + 6) % 7))
  const first = new Date(today.getFullYear(), today.getMonth(), 1)
  switch (p) {
    case 'today':
      return { from: ymd(today), to: ymd(today) }
    case 'yesterday':
      return { from: ymd(at(-1)), to: ymd(at(-1)) }
    case 'this_week':
      return { from: ymd(monday), to: ymd(at(6, monday)) }
    case 'last_week':
      return { from: ymd(at(-7, monday)), to: ymd(at(-1, monday)) }
    case 'this_month':
      return { from: ymd(first), to: ymd(new Date(today.getFullYear(), today.getMonth() + 1, 0)) }
    case 'last_month':
      return { from: ymd(new Date(today.getFullYear(), today.getMonth() - 1, 1)), to: ymd(at(-1, first)) }
  }
}

/** View is the filters as the address carries them. */
interface View {
  shown: Shown
  owner: number
  period: Period
  from: string // the first day shown, YYYY-MM-DD, or ''
  to: string // the last day shown, included
  page: number // 1 is the newest calls
}

function readView(q: URLSearchParams): View {
  const t = q.get('type') ?? ''
  const shown: Shown = t === 'voicemail' || t in typeLabels ? (t as Shown) : ''
  const owner = Number(q.get('owner')) || 0
  const p = q.get('period') ?? ''
  const page = Math.max(1, Math.floor(Number(q.get('page'))) || 1)
  if (presets.some((x) => x.id === p)) return { shown, owner, period: p as Preset, ...presetDays(p as Preset), page }
  const from = q.get('from') ?? ''
  const to = q.get('to') ?? ''
  const custom = (isDate(from) ? from : '') || (isDate(to) ? to : '')
  return { shown, owner, period: custom ? 'custom' : '', from: isDate(from) ? from : '', to: isDate(to) ? to : '', page }
}

function writeView(v: View): URLSearchParams {
  const q = new URLSearchParams()
  if (v.shown) q.set('type', v.shown)
  if (v.owner) q.set('owner', String(v.owner))
  if (v.period === 'custom') {
    if (v.from) q.set('from', v.from)
    if (v.to) q.set('to', v.to)
  } else if (v.period) q.set('period', v.period)
  if (v.page > 1) q.set('page', String(v.page))
  return q
}

/** apiFilter is the filter the API gets: the days become instants in the browser's time zone, the last day included whole. */
function apiFilter(v: View): CallFilter {
  return {
    type: v.shown === 'voicemail' ? '' : v.shown,
    voicemail: v.shown === 'voicemail',
    owner: v.owner || undefined,
    from: v.from ? day(v.from).toISOString() : undefined,
    to: v.to ? day(v.to, 1).toISOString() : undefined,
  }
}

/** refusal words an API refusal, naming the filters it refused. */
function refusal(e: unknown): string {
  if (e instanceof ApiError && Object.keys(e.fields).length > 0)
    return Object.entries(e.fields)
      .map(([k, m]) => `${k} ${m}`)
      .join('; ')
  return message(e)
}

export function Calls({ api }: { api: Api }) {
  const [params, setParams] = useSearchParams()
  const view = readView(params)
  const set = (change: Partial<View>) => setParams(writeView({ ...view, page: 1, ...change }), { replace: true })
  const filter = apiFilter(view)
  const offset = (view.page - 1) * pageSize
  const badRange = !!(view.from && view.to && view.to < view.from)
  const filtered = !!(view.shown || view.owner || view.period)

  const users = useUsers(api)
  // The wallet names the local currency a call's cost is also shown in.
  const currency = useWallet(api).data?.currency
  const calls = useQuery({
    queryKey: ['calls', filter, offset],
    // The signal lets TanStack Query cancel this request when the filters change before it is answered.
    queryFn: ({ signal }) => api.calls(filter, { limit: pageSize, offset }, signal),
    enabled: !badRange,
    placeholderData: keepPreviousData,
    // A call that just ended should be there when the tab is opened again.
    staleTime: 0,
  })
  const data = calls.data

  const ownerLabel = (id: number | null) => {
    if (id === null) return <span className="muted">Nobody</span>
    const u = users.data?.find((x) => x.id === id)
    if (u)
      return (
        <>
          {u.name}
          <span className="sub">Ext. {u.extension}</span>
        </>
      )
    return <span className="muted">{users.isFetching || !users.data ? `User #${id}` : `Removed user #${id}`}</span>
  }

  const columns: Column<CallRecord>[] = [
    {
      label: 'Date and time',
      cell: (c) => (
        <>
          {new Date(c.started_at).toLocaleString()}
          <span className="sub">{directionLabels[c.direction] ?? c.direction}</span>
        </>
      ),
    },
    { label: 'Type', cell: (c) => <span className={'call-type ' + c.type}>{typeLabels[c.type] ?? c.type}</span> },
    { label: 'From', cell: (c) => c.from || <span className="muted">Unknown</span> },
    {
      label: 'To',
      cell: (c) => (
        <>
          {c.to || <span className="muted">Unknown</span>}
          {c.number && c.number !== c.to && <span className="sub">via {c.number}</span>}
        </>
      ),
    },
    { label: 'Owner', cell: (c) => ownerLabel(c.owner_user_id) },
    {
      label: 'Duration',
      cell: (c) => (
        <>
          {c.answered_at || c.duration_seconds ? duration(c.duration_seconds) : <span className="muted">Not answered</span>}
          {c.hangup_cause && <span className="sub">{c.hangup_cause}</span>}
        </>
      ),
    },
    {
      label: 'Credits',
      className: 'credits',
      cell: (c) => (
        <>
          {c.rate || /[1-9]/.test(c.credits_charged ?? '') ? money(c.credits_charged) : <span className="muted">Free</span>}
          {c.credits_charged_local && currency && currency !== 'USD' && /[1-9]/.test(c.credits_charged) && (
            <span className="sub">
              ≈ {money(c.credits_charged_local)} {currency}
            </span>
          )}
        </>
      ),
    },
    {
      label: 'Recording',
      className: 'recording',
      cell: (c) =>
        c.has_recording ? (
          <>
            {c.voicemail && <span className="tag">Voicemail</span>}
            <audio controls preload="none" src={recordingUrl(c.id)} aria-label={`${c.voicemail ? 'Voicemail' : 'Recording'} of the call from ${c.from}`} />
            <span className="sub">{duration(c.recording_seconds)}</span>
          </>
        ) : (
          <span className="muted">None</span>
        ),
    },
  ]

  const rangeLabel = () => {
    if (!view.from && !view.to) return ''
    const f = (s: string) => day(s).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
    if (view.from && view.to) return view.from === view.to ? f(view.from) : `${f(view.from)} – ${f(view.to)}`
    return view.from ? `Since ${f(view.from)}` : `Until ${f(view.to)}`
  }

  return (
    <div>
      <form className="filters" aria-label="Filter calls" onSubmit={(e) => e.preventDefault()}>
        <div className="filter">
          <label htmlFor="calls-type">Type</label>
          <select id="calls-type" value={view.shown} onChange={(e) => set({ shown: e.target.value as Shown })}>
            <option value="">All calls</option>
            <option value="incoming">Incoming</option>
            <option value="outgoing">Outgoing</option>
            <option value="missed">Missed</option>
            <option value="voicemail">Voicemail messages</option>
          </select>
        </div>
        <div className="filter">
          <label htmlFor="calls-owner">Owner</label>
          <select id="calls-owner" value={view.owner} onChange={(e) => set({ owner: Number(e.target.value) })}>
            <option value={0}>All users</option>
            {users.data?.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.extension})
              </option>
            ))}
            {view.owner > 0 && users.data && !users.data.some((u) => u.id === view.owner) && <option value={view.owner}>Removed user #{view.owner}</option>}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="calls-period">Period</label>
          <select
            id="calls-period"
            value={view.period}
            onChange={(e) => {
              const p = e.target.value as Period
              if (p === 'custom') set({ period: 'custom', from: view.from || ymd(new Date()), to: view.to || ymd(new Date()) })
              else if (p === '') set({ period: '', from: '', to: '' })
              else set({ period: p, ...presetDays(p) })
            }}
          >
            <option value="">All time</option>
            {presets.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom dates</option>
          </select>
        </div>
        <div className={'filter' + (badRange ? ' invalid' : '')}>
          <label htmlFor="calls-from">From</label>
          <input id="calls-from" type="date" value={view.from} max={view.to || undefined} onChange={(e) => set({ period: 'custom', from: e.target.value })} />
        </div>
        <div className={'filter' + (badRange ? ' invalid' : '')}>
          <label htmlFor="calls-to">To</label>
          <input
            id="calls-to"
            type="date"
            value={view.to}
            min={view.from || undefined}
            onChange={(e) => set({ period: 'custom', to: e.target.value })}
            aria-invalid={badRange}
            aria-describedby={badRange ? 'calls-range-error' : undefined}
          />
        </div>
        {filtered && (
          <button type="button" className="ghost" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        )}
        {!badRange && (
          <a className="button" href={callsCsvUrl(filter)} download>
            Download CSV
          </a>
        )}
      </form>
      {badRange && (
        <Notice kind="error">
          <span id="calls-range-error">The “To” date is before the “From” date.</span>
        </Notice>
      )}
      {calls.isError && !badRange && (
        <Notice kind="error" action={<button onClick={() => calls.refetch()}>Try again</button>}>
          The call history could not be loaded: {refusal(calls.error)}
        </Notice>
      )}
      {!data && !calls.isError && !badRange && <Loading what="the call history" />}
      {data &&
        data.calls.length === 0 &&
        !badRange &&
        (filtered || view.page > 1 ? (
          <Empty title={view.shown === 'voicemail' ? 'No voicemail messages match these filters' : 'No calls match these filters'}>
            Try another type, owner or period, or clear the filters.
          </Empty>
        ) : (
          <Empty title="No calls yet">Incoming, outgoing and missed calls appear here as soon as the PBX handles them, with their recordings.</Empty>
        ))}
      {data && data.calls.length > 0 && !badRange && (
        <>
          {/* aria-busy: the rows shown are the last answer while the next is on its way. */}
          <div className="calls-list" aria-busy={calls.isFetching}>
            <Table label="Call history" rows={data.calls} columns={columns} rowKey={(c) => c.id} rowProps={(c) => ({ 'data-call': c.id })} />
          </div>
          <div className="pager">
            <span className="muted" role="status">
              {data.total === 1
                ? '1 call'
                : data.total <= pageSize
                  ? `${data.total} calls`
                  : `${offset + 1}–${offset + data.calls.length} of ${data.total} calls`}
              {rangeLabel() && ` · ${rangeLabel()}`}
            </span>
            {data.total > pageSize && (
              <>
                <button disabled={view.page === 1} onClick={() => set({ page: view.page - 1 })}>
                  Newer
                </button>
                <button disabled={offset + data.calls.length >= data.total} onClick={() => set({ page: view.page + 1 })}>
                  Older
                </button>
              </>
            )}
          </div>
        </>
      )}
    </div>
  )
}
