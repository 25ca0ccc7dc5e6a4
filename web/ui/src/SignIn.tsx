import { useState } from 'react'
import { ApiError, message, type Api, type SessionInfo } from './api'
import { Field, Notice } from './ui'

export function SignIn(props: { api: Api; notice?: string; onSignedIn: (s: SessionInfo) => void }) {
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      props.onSignedIn(await props.api.signIn(password))
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('That is not the admin password.')
      else setError(message(err))
      setBusy(false)
    }
  }

  return (
    <main className="signin">
      <form className="card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand big">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <span>PBX</span>
        </div>
        <h1 id="signin-title">Sign in to the admin app</h1>
        {props.notice && <Notice kind="info">{props.notice}</Notice>}
        <Field
          label="Admin password"
          error={error}
          hint={
            <>
              On a new install this is the <code>PBX_ADMIN_TOKEN</code> the server was started with.
            </>
          }
        >
          {(a) => (
            <input {...a} type="password" name="password" autoComplete="current-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
