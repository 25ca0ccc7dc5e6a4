import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, message, type Api, type Group, type User } from './api'
import { Confirm, Dialog, Empty, Field, Loading, Notice, focusFirstError } from './ui'

export function Groups({ api }: { api: Api }) {
  const [data, setData] = useState<{ groups: Group[]; users: User[] } | null>(null)
  const [error, setError] = useState('')
  const [editing, setEditing] = useState<Group | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Group | null>(null)
  const [done, setDone] = useState('')

  const load = useCallback(async () => {
    setError('')
    try {
      const [groups, users] = await Promise.all([api.groups(), api.users()])
      setData({ groups, users })
    } catch (e) {
      setError(message(e))
    }
  }, [api])

  useEffect(() => {
    load()
  }, [load])

  const userLabel = (id: number) => {
    const u = data?.users.find((x) => x.id === id)
    return u ? `${u.name} (${u.extension})` : `User #${id}`
  }

  return (
    <div>
      <div className="toolbar">
        <p className="muted">Groups are rung together by a call flow, in the order of their members.</p>
        <button className="primary" onClick={() => setEditing('new')}>
          Create group
        </button>
      </div>
      {done && <Notice kind="success">{done}</Notice>}
      {error && (
        <Notice kind="error" action={<button onClick={load}>Try again</button>}>
          Phone groups could not be loaded: {error}
        </Notice>
      )}
      {!data && !error && <Loading what="phone groups" />}
      {data && data.groups.length === 0 && (
        <Empty title="No phone groups yet" action={<button className="primary" onClick={() => setEditing('new')}>Create the first group</button>}>
          Group users who answer the same calls, such as billing experts, sales or support.
        </Empty>
      )}
      {data && data.groups.length > 0 && (
        <table className="list" aria-label="Phone groups">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Members, in order</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.groups.map((g) => (
              <tr key={g.id} data-group={g.name}>
                <td data-label="Name">
                  <strong>{g.name}</strong>
                </td>
                <td data-label="Description">{g.description || <span className="muted">No description</span>}</td>
                <td data-label="Members">
                  {(g.member_ids ?? []).length === 0 ? (
                    <span className="muted">No members</span>
                  ) : (
                    <ol className="members-inline">
                      {(g.member_ids ?? []).map((id) => (
                        <li key={id}>{userLabel(id)}</li>
                      ))}
                    </ol>
                  )}
                </td>
                <td className="actions">
                  <button onClick={() => setEditing(g)} aria-label={`Edit ${g.name}`}>
                    Edit
                  </button>
                  <button className="danger-text" onClick={() => setDeleting(g)} aria-label={`Delete ${g.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && data && (
        <GroupForm
          api={api}
          group={editing === 'new' ? null : editing}
          users={data.users}
          onClose={() => setEditing(null)}
          onSaved={(g, created) => {
            setEditing(null)
            setDone(created ? `Group ${g.name} was created.` : `Group ${g.name} was saved.`)
            load()
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          action="Delete group"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await api.deleteGroup(deleting.id)
            } catch (e) {
              // 409 names the flows that ring the group; say what to do about it.
              if (e instanceof ApiError && e.status === 409) throw new Error(`${e.message}. Take the group out of those flows first.`)
              throw e
            }
            setDeleting(null)
            setDone(`Group ${deleting.name} was deleted.`)
            load()
          }}
        >
          <p>Its members stay as phone users; only the group goes. This cannot be undone.</p>
        </Confirm>
      )}
    </div>
  )
}

function GroupForm(props: { api: Api; group: Group | null; users: User[]; onClose: () => void; onSaved: (g: Group, created: boolean) => void }) {
  const g = props.group
  const [name, setName] = useState(g?.name ?? '')
  const [description, setDescription] = useState(g?.description ?? '')
  const [members, setMembers] = useState<number[]>(g?.member_ids ?? [])
  const [candidate, setCandidate] = useState(0)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState('')
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)
  const byId = new Map(props.users.map((u) => [u.id, u]))
  const label = (id: number) => {
    const u = byId.get(id)
    return u ? `${u.name} (${u.extension})` : `User #${id}`
  }
  const available = props.users.filter((u) => !members.includes(u.id))

  const move = (i: number, by: number) => {
    const next = [...members]
    ;[next[i], next[i + by]] = [next[i + by], next[i]]
    setMembers(next)
  }
  const add = () => {
    const id = candidate || available[0]?.id
    if (!id) return
    setMembers([...members, id])
    setCandidate(0)
  }

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setErrors({})
    setFormError('')
    const input = { name: name.trim(), description: description.trim(), member_ids: members }
    try {
      const saved = g ? await props.api.updateGroup(g.id, input) : await props.api.createGroup(input)
      props.onSaved(saved, !g)
    } catch (err) {
      setBusy(false)
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        setErrors(err.fields)
        const other = Object.entries(err.fields).filter(([k]) => !['name', 'description', 'member_ids'].includes(k))
        if (other.length) setFormError(other.map(([k, m]) => `${k}: ${m}`).join('; '))
        focusFirstError(form.current)
      } else {
        setFormError(message(err))
      }
    }
  }

  return (
    <Dialog title={g ? `Edit ${g.name}` : 'Create a phone group'} onClose={props.onClose} wide>
      <form ref={form} onSubmit={submit} noValidate>
        <div className="dialog-body">
          <Field label="Name" error={errors.name}>
            {(a) => <input {...a} name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Description" error={errors.description}>
            {(a) => <textarea {...a} name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <fieldset className={'options' + (errors.member_ids ? ' invalid' : '')}>
            <legend>Members, in ring order</legend>
            {members.length === 0 ? (
              <p className="muted">No members yet.</p>
            ) : (
              <ol className="members" aria-label="Members">
                {members.map((id, i) => (
                  <li key={id}>
                    <span className="pos">{i + 1}</span>
                    <span className="who">{label(id)}</span>
                    <span className="row-actions">
                      <button type="button" className="icon" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${label(id)} up`}>
                        ↑
                      </button>
                      <button type="button" className="icon" disabled={i === members.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${label(id)} down`}>
                        ↓
                      </button>
                      <button type="button" className="icon danger-text" onClick={() => setMembers(members.filter((x) => x !== id))} aria-label={`Remove ${label(id)} from the group`}>
                        ×
                      </button>
                    </span>
                  </li>
                ))}
              </ol>
            )}
            {props.users.length === 0 ? (
              <p className="muted">There are no phone users to add yet.</p>
            ) : available.length > 0 ? (
              <div className="add-member">
                <label htmlFor="add-member" className="sr-only">
                  User to add
                </label>
                <select id="add-member" value={candidate || available[0].id} onChange={(e) => setCandidate(Number(e.target.value))}>
                  {available.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.name} ({u.extension})
                    </option>
                  ))}
                </select>
                <button type="button" onClick={add}>
                  Add member
                </button>
              </div>
            ) : (
              <p className="muted">Every user is in this group.</p>
            )}
            {errors.member_ids && <p className="field-error">{errors.member_ids}</p>}
          </fieldset>
        </div>
        {formError && <Notice kind="error">{formError}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : g ? 'Save changes' : 'Create group'}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}
