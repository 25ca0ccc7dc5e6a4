import { useRef, useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { NavLink } from 'react-router'
import { ApiError, message, type Api, type APIToken, type SessionInfo } from './api'
import { Confirm, Empty, Field, Loaded, Notice, RowActions, Table, focusFirstError } from './ui'

export function Settings(props: { api: Api; session: SessionInfo; onChanged: () => void }) {
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav />
      <div className="panels">
        <PasswordPanel {...props} />
        <TokensPanel api={props.api} />
      </div>
    </section>
  )
}

/** SettingsNav leads to the parts of Settings: the admin's own access, and the carrier trunks. */
export function SettingsNav() {
  return (
    <nav className="tabs" aria-label="Settings">
      <NavLink to="/settings" end>
        Access
      </NavLink>
      <NavLink to="/settings/trunks">SIP trunks</NavLink>
    </nav>
  )
}

function PasswordPanel({ api, session, onChanged }: { api: Api; session: SessionInfo; onChanged: () => void }) {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    setResult(null)
    if (next !== again) {
      setErrors({ again: 'The two new passwords differ.' })
      focusFirstError(form.current)
      return
    }
    setErrors({})
    setBusy(true)
    try {
      await api.changePassword(current, next)
      setCurrent('')
      setNext('')
      setAgain('')
      setResult({ ok: true, text: 'The password was changed. Other browsers were signed out.' })
      onChanged()
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        setErrors(err.fields)
        focusFirstError(form.current)
      } else setResult({ ok: false, text: message(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="panel" ref={form} onSubmit={submit} aria-labelledby="pw-title" noValidate>
      <h2 id="pw-title">Admin password</h2>
      <p className="muted">
        {session.password_set ? (
          <>
            Your own password is set: <code>PBX_ADMIN_TOKEN</code> no longer signs in here, though programs can still use it as a bearer token.
          </>
        ) : (
          <>
            You are still using <code>PBX_ADMIN_TOKEN</code> as the password. Set your own: once you do, the token no longer signs in here, though programs
            can still use it as a bearer token.
          </>
        )}
      </p>
      <Field label="Current password" error={errors.current_password}>
        {(a) => <input {...a} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
      </Field>
      <Field label="New password" error={errors.new_password} hint="At least 12 characters.">
        {(a) => <input {...a} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
      </Field>
      <Field label="New password again" error={errors.again}>
        {(a) => <input {...a} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />}
      </Field>
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  )
}

function TokensPanel({ api }: { api: Api }) {
  const qc = useQueryClient()
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api.tokens(), staleTime: 0 })
  const reload = () => qc.invalidateQueries({ queryKey: ['tokens'] })
  const [name, setName] = useState('')
  const [nameError, setNameError] = useState('')
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null)
  const [revoking, setRevoking] = useState<APIToken | null>(null)
  const [copied, setCopied] = useState(false)

  const create = async (e: React.FormEvent) => {
    e.preventDefault()
    setNameError('')
    setCreated(null)
    setCopied(false)
    try {
      const t = await api.createToken(name)
      setCreated({ name: t.name, token: t.token })
      setName('')
      reload()
    } catch (err) {
      if (err instanceof ApiError && err.fields.name) setNameError(err.fields.name)
      else setNameError(message(err))
    }
  }

  return (
    <div className="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        Programs call the REST API with <code>Authorization: Bearer &lt;token&gt;</code>. Give each program its own token, so you can revoke one without the
        others.
      </p>
      <form className="inline-form" onSubmit={create} noValidate>
        <Field label="Token name" error={nameError} hint="For example: CRM sync.">
          {(a) => <input {...a} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <button type="submit" className="primary">
          Create token
        </button>
      </form>
      {created && (
        <div className="secret" role="status">
          <p>
            <strong>Copy the token for “{created.name}” now.</strong> It is not shown again.
          </p>
          <code data-token>{created.token}</code>
          <button
            type="button"
            onClick={() =>
              navigator.clipboard?.writeText(created.token).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
      <Loaded query={tokens} what="tokens">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No API tokens">Programs can also use PBX_ADMIN_TOKEN, but a named token can be revoked.</Empty>
          ) : (
            <Table
              label="API tokens"
              rows={list}
              rowKey={(t) => t.id}
              columns={[
                { label: 'Name', cell: (t) => t.name },
                { label: 'Starts with', cell: (t) => <code>{t.prefix}…</code> },
                { label: 'Created', cell: (t) => new Date(t.created_at).toLocaleString() },
                { label: 'Last used', cell: (t) => (t.last_used_at ? new Date(t.last_used_at).toLocaleString() : <span className="muted">Never</span>) },
              ]}
              actions={(t) => <RowActions name={t.name} onDelete={() => setRevoking(t)} remove="Revoke" />}
            />
          )
        }
      </Loaded>
      {revoking && (
        <Confirm
          title={`Revoke ${revoking.name}?`}
          action="Revoke token"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.revokeToken(revoking.id)
            setRevoking(null)
            reload()
          }}
        >
          <p>Programs using this token are refused from now on. This cannot be undone.</p>
        </Confirm>
      )}
    </div>
  )
}
