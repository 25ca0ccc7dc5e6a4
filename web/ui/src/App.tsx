import { useCallback, useEffect, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { Api, message, type SessionInfo } from './api'
import { Link, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router'
import { SignIn } from './SignIn'
import { Telephony } from './Telephony'
import { Settings } from './Settings'
import { Trunks } from './Trunks'
import { Notifications } from './Notifications'
import { Balance } from './Balance'
import { Loading, NotFound, Notice } from './ui'

type State = { kind: 'loading' } | { kind: 'failed'; error: string } | { kind: 'out'; notice?: string } | { kind: 'in'; session: SessionInfo }

export function App({ api }: { api: Api }) {
  const [state, setState] = useState<State>({ kind: 'loading' })
  const navigate = useNavigate()
  const { pathname } = useLocation()
  const queries = useQueryClient()

  const load = useCallback(async () => {
    setState({ kind: 'loading' })
    try {
      const s = await api.session()
      setState(s ? { kind: 'in', session: s } : { kind: 'out' })
    } catch (e) {
      setState({ kind: 'failed', error: message(e) })
    }
  }, [api])

  useEffect(() => {
    api.onSignedOut = () => {
      queries.clear()
      setState({ kind: 'out', notice: 'Your session has ended. Sign in again to go on.' })
    }
    load()
  }, [api, load, queries])

  if (state.kind === 'loading') return <Loading what="the admin app" />
  if (state.kind === 'failed')
    return (
      <main className="center">
        <Notice kind="error" action={<button onClick={load}>Try again</button>}>
          {state.error}
        </Notice>
      </main>
    )
  if (state.kind === 'out') return <SignIn api={api} notice={state.notice} onSignedIn={(s) => setState({ kind: 'in', session: s })} />

  const signOut = async () => {
    try {
      await api.signOut()
      queries.clear()
      setState({ kind: 'out', notice: 'You have signed out.' })
      navigate('/', { replace: true })
    } catch (e) {
      alert('Sign-out failed: ' + message(e))
    }
  }

  return (
    <div className="shell">
      <header className="topbar">
        <Link className="brand" to="/telephony/users">
          <img src="/favicon.svg" alt="" width="24" height="24" /> PBX
        </Link>
        <nav aria-label="Main">
          <Link to="/telephony/users" aria-current={pathname.startsWith('/telephony') ? 'page' : undefined}>
            Telephony
          </Link>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <Balance api={api} />
        <Notifications api={api} />
        <button className="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Routes>
          <Route path="/telephony/:tab/*" element={<Telephony api={api} />} />
          <Route
            path="/settings"
            element={<Settings api={api} session={state.session} onChanged={() => api.session().then((s) => s && setState({ kind: 'in', session: s }))} />}
          />
          <Route path="/settings/trunks" element={<Trunks api={api} />} />
          <Route path="/" element={<Navigate to="/telephony/users" replace />} />
          <Route path="/telephony" element={<Navigate to="/telephony/users" replace />} />
          <Route path="/signin" element={<Navigate to="/telephony/users" replace />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  )
}
