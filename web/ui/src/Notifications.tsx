// The bell in the header of every page: the unread count, and a list to
// read and dismiss.
import { useEffect, useRef, useState } from 'react'
import { message, type Api } from './api'
import { useNotificationAction, useNotifications } from './billing'

export function Notifications({ api }: { api: Api }) {
  const notes = useNotifications(api)
  const act = useNotificationAction(api)
  const [open, setOpen] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  const unread = notes.data?.unread ?? 0
  const list = notes.data?.notifications ?? []

  useEffect(() => {
    if (!open) return
    const away = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    // On the document: after a dismiss, focus may have left the panel with the removed item.
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return
      setOpen(false)
      root.current?.querySelector<HTMLElement>('button')?.focus()
    }
    document.addEventListener('mousedown', away)
    document.addEventListener('keydown', escape)
    return () => {
      document.removeEventListener('mousedown', away)
      document.removeEventListener('keydown', escape)
    }
  }, [open])

  return (
    <div className="bell" ref={root}>
      <button
        type="button"
        className="icon bell-button"
        aria-expanded={open}
        aria-controls="notifications-panel"
        aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
          />
        </svg>
        {unread > 0 && (
          <span className="badge" data-unread={unread} aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <section className="bell-panel" id="notifications-panel" aria-label="Notifications">
          <header>
            <h2>Notifications</h2>
            <span className="muted">{unread ? `${unread} unread` : 'All read'}</span>
          </header>
          {notes.error && <p className="field-error">The notifications could not be loaded: {message(notes.error)}</p>}
          {act.error && <p className="field-error">{message(act.error)}</p>}
          {!notes.error && list.length === 0 && <p className="muted empty-note">Nothing to act on. Low balance, auto-recharge, full storage and unpaid charges are reported here.</p>}
          <ul>
            {list.map((n) => (
              <li key={n.id} className={n.read ? 'read' : 'unread'} data-kind={n.kind}>
                <div className="note-text">
                  <strong>{n.title}</strong>
                  <p>{n.message}</p>
                  <time dateTime={n.created_at}>{new Date(n.created_at).toLocaleString()}</time>
                </div>
                <div className="note-actions">
                  {!n.read && (
                    <button type="button" className="ghost" onClick={() => act.mutate({ id: n.id, action: 'read' })} aria-label={`Mark “${n.title}” read`}>
                      Mark read
                    </button>
                  )}
                  <button type="button" className="ghost" onClick={() => act.mutate({ id: n.id, action: 'dismiss' })} aria-label={`Dismiss “${n.title}”`}>
                    Dismiss
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
