import { useCallback, useEffect, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { Api, message, type SessionInfo } from './api'
import { linkTo, navigate, usePath } from './router'
import { SignIn } from './SignIn'
import { Telephony, tabs } from './Telephony'
import { Settings } from './Settings'
import { Notifications } from './Notifications'
import { Balance } from './Balance'
import { Loading, Notice } from './ui'

type State = { kind: 'loading' } | { kind: 'failed'; error: string } | { kind: 'out'; notice?: string } | { kind: 'in'; session: SessionInfo }

export function App({ api }: { api: Api }) {
  const [state, setState] = useState<State>({ kind: 'loading' })
  const path = usePath()
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

  useEffect(() => {
    if (state.kind === 'in' && (path === '/' || path === '/telephony' || path === '/signin')) navigate('/telephony/users', true)
  }, [state.kind, path])

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
      navigate('/', true)
    } catch (e) {
      alert('Sign-out failed: ' + message(e))
    }
  }

  let page
  const tab = path.match(/^\/telephony\/([a-z]+)$/)?.[1]
  if (tab && tabs.some((t) => t.id === tab)) page = <Telephony api={api} tab={tab} />
  else if (path === '/settings')
    page = <Settings api={api} session={state.session} onChanged={() => api.session().then((s) => s && setState({ kind: 'in', session: s }))} />
  else if (path === '/' || path === '/telephony' || path === '/signin') page = <Loading what="Telephony" />
  else
    page = (
      <section className="page">
        <h1>Page not found</h1>
        <p>
          There is nothing at <code>{path}</code>. <a {...linkTo('/telephony/users')}>Go to Telephony</a>.
        </p>
      </section>
    )

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" {...linkTo('/telephony/users')}>
          <img src="/favicon.svg" alt="" width="24" height="24" /> PBX
        </a>
        <nav aria-label="Main">
          <a {...linkTo('/telephony/users')} aria-current={path.startsWith('/telephony') ? 'page' : undefined}>
            Telephony
          </a>
          <a {...linkTo('/settings')} aria-current={path === '/settings' ? 'page' : undefined}>
            Settings
          </a>
        </nav>
        <Balance api={api} />
        <Notifications api={api} />
        <button className="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </div>
  )
}
