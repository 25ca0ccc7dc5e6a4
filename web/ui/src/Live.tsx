// The live view: calls in progress, callers waiting in queues and who is
// online, pushed by the server as server-sent events (GET /api/v1/live).
// The page holds one EventSource: a snapshot first, then only what changed;
// durations tick in the browser from each call's start, so nothing is
// polled, per row or otherwise.
import { useEffect, useState } from 'react'
import type { Api } from './api'
import { useGroups, useUsers } from './people'
import type { components } from './openapi'
import { Empty, Notice, Table, duration, type Column } from './ui'

type Schema = components['schemas']
type LiveCall = Schema['LiveCall']
type QueueDepth = Schema['QueueDepth']
type OnlineUser = Schema['OnlineUser']
type LiveSnapshot = Schema['LiveSnapshot']

/** Link is the state of the stream: the first snapshot not yet in, live, or lost and being tried again. */
type Link = 'connecting' | 'live' | 'reconnecting'

interface LiveState {
  calls: Map<number, LiveCall>
  queues: Map<string, QueueDepth>
  online: Map<string, OnlineUser>
}

const statusLabels: Record<string, string> = { routing: 'In the flow', ringing: 'Ringing', queued: 'Waiting in queue', connected: 'Connected' }
const stateTypeLabels: Record<string, string> = {
  start: 'start',
  transfer_user: 'transfer to user',
  transfer_group: 'transfer to group',
  ivr: 'IVR menu',
  announce: 'announcement',
  voicemail: 'voicemail',
}
const directionLabels: Record<string, string> = { inbound: 'From outside', outbound: 'To outside', internal: 'Internal' }

/** retryDelay is how long to wait before opening the stream again after the server refused it (503, 401) or went away. */
const retryDelay = (attempt: number) => Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))

/** useLive follows GET /api/v1/live: the state it describes and how the link is. */
function useLive(api: Api): { state: LiveState; link: Link } {
  const [state, setState] = useState<LiveState>(() => ({ calls: new Map(), queues: new Map(), online: new Map() }))
  const [link, setLink] = useState<Link>('connecting')

  useEffect(() => {
    let source: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let attempt = 0
    let stopped = false

    const edit = (f: (s: LiveState) => void) =>
      setState((s) => {
        const next = { calls: new Map(s.calls), queues: new Map(s.queues), online: new Map(s.online) }
        f(next)
        return next
      })
    const on = <T,>(es: EventSource, name: string, f: (data: T) => void) =>
      es.addEventListener(name, (e) => {
        try {
          f(JSON.parse((e as MessageEvent<string>).data) as T)
        } catch {
          // A line we cannot read changes nothing; the next snapshot sets things right.
        }
      })

    const open = () => {
      if (stopped) return
      // Same origin: the browser sends the session cookie with the request.
      const es = new EventSource('/api/v1/live')
      source = es
      on<LiveSnapshot>(es, 'snapshot', (s) => {
        attempt = 0
        setLink('live')
        setState({
          calls: new Map((s.calls ?? []).map((c) => [c.id!, c])),
          queues: new Map((s.queues ?? []).map((q) => [q.queue!, q])),
          online: new Map((s.online ?? []).map((u) => [u.username!, u])),
        })
      })
      on<LiveCall>(es, 'call', (c) => edit((s) => s.calls.set(c.id!, c)))
      on<{ id: number }>(es, 'call_ended', ({ id }) => edit((s) => s.calls.delete(id)))
      on<QueueDepth>(es, 'queue', (q) => edit((s) => s.queues.set(q.queue!, q)))
      on<OnlineUser>(es, 'online', (u) => edit((s) => s.online.set(u.username!, u)))
      on<{ username: string }>(es, 'offline', ({ username }) => edit((s) => s.online.delete(username)))
      es.onerror = () => {
        if (stopped) return
        setLink('reconnecting')
        // A dropped stream is reopened by the browser itself (CONNECTING); a
        // refused one (503 when full, 401 when the session ended) is CLOSED
        // and ours to reopen, after asking whether we are still signed in.
        if (es.readyState !== EventSource.CLOSED) return
        es.close()
        timer = setTimeout(async () => {
          try {
            if (!(await api.session())) {
              api.onSignedOut()
              return
            }
          } catch {
            // The server cannot be reached: try the stream again anyway.
          }
          attempt++
          open()
        }, retryDelay(attempt))
      }
    }
    open()
    return () => {
      stopped = true
      clearTimeout(timer)
      source?.close()
    }
  }, [api])

  return { state, link }
}

/** useNow is the time, once a second while on is true, for durations that tick. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!on) return
    setNow(Date.now())
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [on])
  return now
}

const since = (t: string | undefined, now: number) => (t ? duration(Math.max(0, Math.floor((now - Date.parse(t)) / 1000))) : '')

export function Live({ api }: { api: Api }) {
  const { state, link } = useLive(api)
  const users = useUsers(api)
  const groups = useGroups(api)
  const calls = [...state.calls.values()].sort((a, b) => Date.parse(a.started_at ?? '') - Date.parse(b.started_at ?? ''))
  const queues = [...state.queues.values()].sort((a, b) => (b.waiting ?? 0) - (a.waiting ?? 0) || (a.queue ?? '').localeCompare(b.queue ?? ''))
  const online = [...state.online.values()].sort((a, b) => (a.username ?? '').localeCompare(b.username ?? ''))
  const now = useNow(calls.length > 0 || online.length > 0)

  const user = (id: number | undefined) => (id ? users.data?.find((u) => u.id === id) : undefined)
  // A user added since the page opened is read once, when the stream first names them.
  const unknown = users.data ? [...calls.map((c) => c.user_id), ...online.map((u) => u.user_id)].find((id) => id && !user(id)) : undefined
  const { refetch } = users
  useEffect(() => {
    if (unknown) refetch()
  }, [unknown, refetch])
  const userName = (id: number | undefined, fallback = '') => {
    const u = user(id)
    return u ? `${u.name} (${u.extension})` : id ? `User #${id}` : fallback
  }
  const queueName = (q: QueueDepth) => {
    if (q.kind === 'group') return groups.data?.find((g) => g.id === q.id)?.name ?? `Group #${q.id}`
    if (q.kind === 'user') return userName(q.id)
    return q.queue ?? ''
  }

  const callColumns: Column<LiveCall>[] = [
    {
      label: 'Caller',
      cell: (c) => (
        <>
          {c.from || <span className="muted">Unknown</span>}
          <span className="sub">{directionLabels[c.direction ?? ''] ?? c.direction}</span>
        </>
      ),
    },
    { label: 'Called', cell: (c) => c.to || <span className="muted">Unknown</span> },
    { label: 'With', cell: (c) => (c.user_id ? userName(c.user_id) : <span className="muted">Nobody yet</span>) },
    {
      label: 'Where',
      cell: (c) => (
        <>
          <span className={'live-status ' + c.status}>{statusLabels[c.status ?? ''] ?? c.status}</span>
          {c.flow_name && (
            <span className="sub">
              {c.flow_name}
              {c.state && ` · ${c.state} (${stateTypeLabels[c.state_type ?? ''] ?? c.state_type})`}
            </span>
          )}
          {c.queue && c.status === 'queued' && <span className="sub">in the queue of {queueName(queueOf(c.queue))}</span>}
        </>
      ),
    },
    {
      label: 'Duration',
      className: 'ticking',
      cell: (c) => (
        <>
          <span data-duration>{since(c.started_at, now)}</span>
          {c.since && Date.parse(c.since) - Date.parse(c.started_at ?? '') >= 1000 && <span className="sub">{since(c.since, now)} in this step</span>}
        </>
      ),
    },
  ]

  return (
    <section className="page live">
      <div className="live-head">
        <h1>Live</h1>
        <p className={'live-link ' + link} role="status">
          <span className="dot" aria-hidden="true" />
          {link === 'live' ? 'Live: changes appear as they happen' : link === 'connecting' ? 'Connecting…' : 'Connection lost; reconnecting…'}
        </p>
      </div>
      {link === 'reconnecting' && <Notice kind="info">The live view lost its connection to the server. It reconnects by itself; what is shown may be out of date until then.</Notice>}

      <h2 id="live-calls">Calls in progress</h2>
      {calls.length === 0 ? (
        <Empty title={link === 'live' ? 'No calls right now' : 'Waiting for the server'}>Calls appear here the moment they start, and leave when they end.</Empty>
      ) : (
        <Table label="Calls in progress" rows={calls} columns={callColumns} rowKey={(c) => c.id!} rowProps={(c) => ({ 'data-live-call': c.call_id, 'data-status': c.status })} />
      )}

      <div className="live-columns">
        <div>
          <h2 id="live-queues">Queues</h2>
          {queues.length === 0 ? (
            <p className="muted">No caller has waited in a queue since the live view opened.</p>
          ) : (
            <ul className="live-list" aria-labelledby="live-queues">
              {queues.map((q) => (
                <li key={q.queue} data-queue={q.queue}>
                  <span>
                    {queueName(q)}
                    <span className="sub">{q.kind === 'group' ? 'Phone group' : 'Phone user'}</span>
                  </span>
                  <strong className={'count' + (q.waiting ? ' busy' : '')}>{q.waiting === 1 ? '1 waiting' : `${q.waiting ?? 0} waiting`}</strong>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h2 id="live-online">Online</h2>
          {online.length === 0 ? (
            <p className="muted">No phone is registered.</p>
          ) : (
            <ul className="live-list" aria-labelledby="live-online">
              {online.map((u) => (
                <li key={u.username} data-online={u.username}>
                  <span>
                    {userName(u.user_id, u.username)}
                    <span className="sub">
                      {u.devices === 1 ? '1 device' : `${u.devices} devices`} · online for {since(u.since, now)}
                    </span>
                  </span>
                  {u.on_call ? <strong className="count busy">On a call</strong> : <span className="count">Free</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  )
}

/** queueOf reads a call's queue name ("group 3", "user 7") as the queue it names. */
function queueOf(name: string): QueueDepth {
  const [kind, id] = name.split(' ')
  return { queue: name, kind, id: Number(id), waiting: 0 } as QueueDepth
}
