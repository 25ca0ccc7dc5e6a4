import { useCallback, useEffect, useState } from 'react'
import { ApiError, callsCsvUrl, message, recordingUrl, type Api, type CallFilter, type CallRecord, type CallType, type User } from './api'
import { Empty, Loading, Notice, duration } from './ui'

const pageSize = 50

const typeLabels: Record<CallType, string> = { incoming: 'Incoming', outgoing: 'Outgoing', missed: 'Missed' }
const directionLabels: Record<CallRecord['direction'], string> = { inbound: 'From outside', outbound: 'To outside', internal: 'Internal' }

/** dayStart turns a date input's YYYY-MM-DD into the RFC 3339 instant that day starts, in the browser's time zone, as the list shows times. */
function dayStart(date: string, addDays = 0): string {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(y, m - 1, d + addDays).toISOString()
}

/** apiFilter is the filter the API gets: the "to" day is included whole. */
function apiFilter(type: CallType | '', owner: number, from: string, to: string): CallFilter {
  return { type, owner: owner || undefined, from: from ? dayStart(from) : undefined, to: to ? dayStart(to, 1) : undefined }
}

export function Calls({ api }: { api: Api }) {
  const [type, setType] = useState<CallType | ''>('')
  const [owner, setOwner] = useState(0)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [offset, setOffset] = useState(0)
  const [users, setUsers] = useState<User[] | null>(null)
  const [data, setData] = useState<{ calls: CallRecord[]; total: number } | null>(null)
  const [error, setError] = useState('')
  const filter = apiFilter(type, owner, from, to)
  const filtered = !!(type || owner || from || to)
  const badRange = !!(from && to && to < from)

  const load = useCallback(async () => {
    setError('')
    if (from && to && to < from) return
    try {
      const [page, us] = await Promise.all([api.calls(apiFilter(type, owner, from, to), { limit: pageSize, offset }), api.users()])
      setUsers(us)
      setData(page)
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.fields).length > 0)
        setError(
          Object.entries(e.fields)
            .map(([k, m]) => `${k} ${m}`)
            .join('; '),
        )
      else setError(message(e))
    }
  }, [api, type, owner, from, to, offset])

  useEffect(() => {
    load()
  }, [load])

  // A new filter starts again at the first page.
  const change =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v)
      setOffset(0)
    }
  const clear = () => {
    setType('')
    setOwner(0)
    setFrom('')
    setTo('')
    setOffset(0)
  }

  const ownerLabel = (id: number | null) => {
    if (id === null) return <span className="muted">Nobody</span>
    const u = users?.find((x) => x.id === id)
    return u ? (
      <>
        {u.name}
        <span className="sub">Ext. {u.extension}</span>
      </>
    ) : (
      <span className="muted">Removed user #{id}</span>
    )
  }

  return (
    <div>
      <form className="filters" aria-label="Filter calls" onSubmit={(e) => e.preventDefault()}>
        <div className="filter">
          <label htmlFor="calls-type">Type</label>
          <select id="calls-type" value={type} onChange={(e) => change(setType)(e.target.value as CallType | '')}>
            <option value="">All calls</option>
            <option value="incoming">Incoming</option>
            <option value="outgoing">Outgoing</option>
            <option value="missed">Missed</option>
          </select>
        </div>
        <div className="filter">
          <label htmlFor="calls-owner">Owner</label>
          <select id="calls-owner" value={owner} onChange={(e) => change(setOwner)(Number(e.target.value))}>
            <option value={0}>All users</option>
            {users?.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.extension})
              </option>
            ))}
          </select>
        </div>
        <div className={'filter' + (badRange ? ' invalid' : '')}>
          <label htmlFor="calls-from">From</label>
          <input id="calls-from" type="date" value={from} max={to || undefined} onChange={(e) => change(setFrom)(e.target.value)} />
        </div>
        <div className={'filter' + (badRange ? ' invalid' : '')}>
          <label htmlFor="calls-to">To</label>
          <input id="calls-to" type="date" value={to} min={from || undefined} onChange={(e) => change(setTo)(e.target.value)} aria-invalid={badRange} />
        </div>
        {filtered && (
          <button type="button" className="ghost" onClick={clear}>
            Clear filters
          </button>
        )}
        <a className="button" href={callsCsvUrl(filter)} download>
          Download CSV
        </a>
      </form>
      {badRange && <Notice kind="error">The “To” date is before the “From” date.</Notice>}
      {error && (
        <Notice kind="error" action={<button onClick={load}>Try again</button>}>
          The call history could not be loaded: {error}
        </Notice>
      )}
      {!data && !error && <Loading what="the call history" />}
      {data &&
        data.calls.length === 0 &&
        !badRange &&
        (filtered ? (
          <Empty title="No calls match these filters">Try another type, owner or period, or clear the filters.</Empty>
        ) : (
          <Empty title="No calls yet">Incoming, outgoing and missed calls appear here as soon as the PBX handles them, with their recordings.</Empty>
        ))}
      {data && data.calls.length > 0 && !badRange && (
        <>
          <table className="list" aria-label="Call history">
            <thead>
              <tr>
                <th scope="col">Date and time</th>
                <th scope="col">Type</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Owner</th>
                <th scope="col">Duration</th>
                <th scope="col">Recording</th>
              </tr>
            </thead>
            <tbody>
              {data.calls.map((c) => (
                <tr key={c.id} data-call={c.id}>
                  <td data-label="Date and time">
                    {new Date(c.started_at).toLocaleString()}
                    <span className="sub">{directionLabels[c.direction] ?? c.direction}</span>
                  </td>
                  <td data-label="Type">
                    <span className={'call-type ' + c.type}>{typeLabels[c.type] ?? c.type}</span>
                  </td>
                  <td data-label="From">{c.from || <span className="muted">Unknown</span>}</td>
                  <td data-label="To">
                    {c.to || <span className="muted">Unknown</span>}
                    {c.number && c.number !== c.to && <span className="sub">via {c.number}</span>}
                  </td>
                  <td data-label="Owner">{ownerLabel(c.owner_user_id)}</td>
                  <td data-label="Duration">
                    {c.answered_at || c.duration_seconds ? duration(c.duration_seconds) : <span className="muted">Not answered</span>}
                    {c.hangup_cause && <span className="sub">{c.hangup_cause}</span>}
                  </td>
                  <td data-label="Recording" className="recording">
                    {c.has_recording ? (
                      <>
                        {c.voicemail && <span className="tag">Voicemail</span>}
                        <audio controls preload="none" src={recordingUrl(c.id)} aria-label={`${c.voicemail ? 'Voicemail' : 'Recording'} of the call from ${c.from}`} />
                        <span className="sub">{duration(c.recording_seconds)}</span>
                      </>
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <span className="muted" role="status">
              {data.total === 1
                ? '1 call'
                : data.total <= pageSize
                  ? `${data.total} calls`
                  : `${offset + 1}–${offset + data.calls.length} of ${data.total} calls`}
            </span>
            {data.total > pageSize && (
              <>
                <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>
                  Newer
                </button>
                <button disabled={offset + data.calls.length >= data.total} onClick={() => setOffset(offset + pageSize)}>
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
