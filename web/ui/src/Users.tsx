import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, message, type Api, type Group, type Registration, type User, type UserInput } from './api'
import { Check, Confirm, Dialog, Empty, Field, Loading, Notice, focusFirstError } from './ui'

type Data = { users: User[]; groups: Group[]; online: Map<number, Registration[]> | null; regError: string }

export function Users({ api }: { api: Api }) {
  const [groupFilter, setGroupFilter] = useState(0)
  const [data, setData] = useState<Data | null>(null)
  const [error, setError] = useState('')
  const [editing, setEditing] = useState<User | 'new' | null>(null)
  const [removing, setRemoving] = useState<User | null>(null)
  const [done, setDone] = useState('')

  const load = useCallback(async () => {
    setError('')
    try {
      const [users, groups] = await Promise.all([api.users(groupFilter || undefined), api.groups()])
      // Online status is a nicety: the list still shows if it cannot be read.
      let online: Data['online'] = null
      let regError = ''
      try {
        online = new Map()
        for (const r of await api.registrations()) online.set(r.user_id, [...(online.get(r.user_id) ?? []), r])
      } catch (e) {
        online = null
        regError = message(e)
      }
      setData({ users, groups, online, regError })
    } catch (e) {
      setError(message(e))
    }
  }, [api, groupFilter])

  useEffect(() => {
    load()
  }, [load])

  const groupName = (id: number) => data?.groups.find((g) => g.id === id)?.name ?? `#${id}`

  return (
    <div>
      <div className="toolbar">
        <div className="filter">
          <label htmlFor="group-filter">Group</label>
          <select id="group-filter" value={groupFilter} onChange={(e) => setGroupFilter(Number(e.target.value))}>
            <option value={0}>All groups</option>
            {data?.groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <button className="primary" onClick={() => setEditing('new')}>
          Add user
        </button>
      </div>
      {done && <Notice kind="success">{done}</Notice>}
      {error && (
        <Notice kind="error" action={<button onClick={load}>Try again</button>}>
          Phone users could not be loaded: {error}
        </Notice>
      )}
      {!data && !error && <Loading what="phone users" />}
      {data?.regError && <Notice kind="info">Online status is unavailable: {data.regError}</Notice>}
      {data && data.users.length === 0 &&
        (groupFilter ? (
          <Empty title="No users in this group">Add users to {groupName(groupFilter)} from the Phone groups tab, or from a user's settings.</Empty>
        ) : (
          <Empty title="No phone users yet" action={<button className="primary" onClick={() => setEditing('new')}>Add the first user</button>}>
            A phone user is a person who places and takes calls from their desk phone or softphone.
          </Empty>
        ))}
      {data && data.users.length > 0 && (
        <table className="list" aria-label="Phone users">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Extension</th>
              <th scope="col">Groups</th>
              <th scope="col">Outbound calls</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.users.map((u) => {
              const regs = data.online?.get(u.id) ?? []
              return (
                <tr key={u.id} data-user={u.extension}>
                  <td data-label="Name">
                    <strong>{u.name}</strong>
                    <span className="sub">SIP {u.sip_username}</span>
                  </td>
                  <td data-label="Extension">{u.extension}</td>
                  <td data-label="Groups">{(u.group_ids ?? []).map(groupName).join(', ') || <span className="muted">None</span>}</td>
                  <td data-label="Outbound calls">{u.allow_outbound ? (u.record_outbound ? 'Allowed, recorded' : 'Allowed') : <span className="muted">Not allowed</span>}</td>
                  <td data-label="Status">
                    {data.online === null ? (
                      <span className="muted">Unknown</span>
                    ) : regs.length > 0 ? (
                      <span className="status online" title={regs.map((r) => `${r.user_agent || 'device'} from ${r.source}`).join('\n')}>
                        Online{regs.length > 1 ? ` (${regs.length} devices)` : ''}
                      </span>
                    ) : (
                      <span className="status offline">Offline</span>
                    )}
                  </td>
                  <td className="actions">
                    <button onClick={() => setEditing(u)} aria-label={`Edit ${u.name}`}>
                      Edit
                    </button>
                    <button className="danger-text" onClick={() => setRemoving(u)} aria-label={`Remove ${u.name}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {editing && data && (
        <UserForm
          api={api}
          user={editing === 'new' ? null : editing}
          groups={data.groups}
          onClose={() => setEditing(null)}
          onSaved={(u, created) => {
            setEditing(null)
            setDone(created ? `${u.name} was added with extension ${u.extension}.` : `${u.name} was saved.`)
            load()
          }}
        />
      )}
      {removing && (
        <Confirm
          title={`Remove ${removing.name}?`}
          action="Remove user"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              await api.deleteUser(removing.id)
            } catch (e) {
              // 409 names the flows that ring the user; say what to do about it.
              if (e instanceof ApiError && e.status === 409) throw new Error(`${e.message}. Take the user out of those flows first.`)
              throw e
            }
            setRemoving(null)
            setDone(`${removing.name} was removed.`)
            load()
          }}
        >
          <p>
            Extension {removing.extension} stops working: its phones can no longer register, and it leaves its groups. This cannot be undone.
          </p>
        </Confirm>
      )}
    </div>
  )
}

function UserForm(props: { api: Api; user: User | null; groups: Group[]; onClose: () => void; onSaved: (u: User, created: boolean) => void }) {
  const u = props.user
  const [name, setName] = useState(u?.name ?? '')
  const [extension, setExtension] = useState(u?.extension ?? '')
  const [sipUsername, setSipUsername] = useState(u?.sip_username ?? '')
  const [sipPassword, setSipPassword] = useState('')
  const [callerIds, setCallerIds] = useState((u?.caller_ids ?? []).join('\n'))
  // A new user may not call out until allowed, as the API's default has it:
  // outbound calls cost money and are what toll fraud is after.
  const [allowOutbound, setAllowOutbound] = useState(u?.allow_outbound ?? false)
  const [recordOutbound, setRecordOutbound] = useState(u?.record_outbound ?? false)
  const [customCallerId, setCustomCallerId] = useState(u?.allow_custom_caller_id ?? false)
  const [groupIds, setGroupIds] = useState<number[]>(u?.group_ids ?? [])
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState('')
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    setFormError('')
    const input: UserInput = {
      name: name.trim(),
      extension: extension.trim(),
      allow_outbound: allowOutbound,
      record_outbound: recordOutbound,
      caller_ids: callerIds
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      allow_custom_caller_id: customCallerId,
      group_ids: groupIds,
    }
    if (sipUsername.trim()) input.sip_username = sipUsername.trim()
    if (sipPassword) input.sip_password = sipPassword
    try {
      const saved = u ? await props.api.updateUser(u.id, input) : await props.api.createUser(input)
      props.onSaved(saved, !u)
    } catch (err) {
      setBusy(false)
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const known = ['name', 'extension', 'sip_username', 'sip_password', 'caller_ids', 'group_ids', 'allow_outbound', 'record_outbound', 'allow_custom_caller_id']
        setErrors(err.fields)
        const other = Object.entries(err.fields).filter(([k]) => !known.includes(k))
        if (other.length) setFormError(other.map(([k, m]) => `${k}: ${m}`).join('; '))
        focusFirstError(form.current)
      } else {
        setFormError(message(err))
      }
    }
  }

  return (
    <Dialog title={u ? `Edit ${u.name}` : 'Add a phone user'} onClose={props.onClose} wide>
      <form ref={form} onSubmit={submit} noValidate>
        <div className="dialog-body grid">
          <Field label="Name" error={errors.name}>
            {(a) => <input {...a} name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Extension" error={errors.extension} hint="2 to 10 digits, dialled inside the company.">
            {(a) => <input {...a} name="extension" inputMode="numeric" value={extension} onChange={(e) => setExtension(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="SIP username" error={errors.sip_username} hint="What the phone registers as. Leave blank to use the extension.">
            {(a) => <input {...a} name="sip_username" value={sipUsername} onChange={(e) => setSipUsername(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="SIP password" error={errors.sip_password} hint={u ? 'Leave blank to keep the current password.' : '8 to 128 characters; enter it in the phone.'}>
            {(a) => <input {...a} name="sip_password" type="password" value={sipPassword} onChange={(e) => setSipPassword(e.target.value)} autoComplete="new-password" />}
          </Field>
          <Field label="Outbound caller IDs" error={errors.caller_ids} hint="Numbers this user may show when calling out, in E.164 form such as +15550001111; one per line.">
            {(a) => <textarea {...a} name="caller_ids" rows={3} value={callerIds} onChange={(e) => setCallerIds(e.target.value)} />}
          </Field>
          <fieldset className="options">
            <legend>Calling</legend>
            <Check label="Allow outbound calls" checked={allowOutbound} onChange={setAllowOutbound} error={errors.allow_outbound} />
            <Check label="Record outbound calls" checked={recordOutbound} onChange={setRecordOutbound} error={errors.record_outbound} />
            <Check
              label="Allow a custom caller ID"
              hint="For example, so that call-backs reach a support line."
              checked={customCallerId}
              onChange={setCustomCallerId}
              error={errors.allow_custom_caller_id}
            />
          </fieldset>
          <fieldset className={'options span' + (errors.group_ids ? ' invalid' : '')}>
            <legend>Phone groups</legend>
            {props.groups.length === 0 && <p className="muted">No groups yet. Create them in the Phone groups tab.</p>}
            <div className="chips">
              {props.groups.map((g) => (
                <Check
                  key={g.id}
                  label={g.name}
                  checked={groupIds.includes(g.id)}
                  onChange={(on) => setGroupIds(on ? [...groupIds, g.id] : groupIds.filter((x) => x !== g.id))}
                />
              ))}
            </div>
            {errors.group_ids && <p className="field-error">{errors.group_ids}</p>}
          </fieldset>
        </div>
        {formError && <Notice kind="error">{formError}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : u ? 'Save changes' : 'Add user'}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}
