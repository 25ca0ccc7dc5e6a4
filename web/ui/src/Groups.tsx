import { useRef, useState } from 'react'
import { type Api, type Group, type User } from './api'
import { useDeleteGroup, useGroups, useSaveGroup, useUsers } from './people'
import { Confirm, Empty, Field, FormDialog, Loaded, Notice, RowActions, Table, useFormErrors } from './ui'

export function Groups({ api }: { api: Api }) {
  const groups = useGroups(api)
  const users = useUsers(api)
  const del = useDeleteGroup(api)
  const [editing, setEditing] = useState<Group | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Group | null>(null)
  const [done, setDone] = useState('')

  const userLabel = (id: number) => {
    const u = users.data?.find((x) => x.id === id)
    return u ? `${u.name} (${u.extension})` : `User #${id}`
  }
  const create = (label: string) => (
    <button className="primary" onClick={() => setEditing('new')}>
      {label}
    </button>
  )

  return (
    <div>
      <div className="toolbar">
        <p className="muted">Groups are rung together by a call flow, in the order of their members.</p>
        {create('Create group')}
      </div>
      {done && <Notice kind="success">{done}</Notice>}
      <Loaded query={groups} what="phone groups">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No phone groups yet" action={create('Create the first group')}>
              Group users who answer the same calls, such as billing experts, sales or support.
            </Empty>
          ) : (
            <Table
              label="Phone groups"
              rows={list}
              rowKey={(g) => g.id}
              rowProps={(g) => ({ 'data-group': g.name })}
              columns={[
                { label: 'Name', cell: (g) => <strong>{g.name}</strong> },
                { label: 'Description', cell: (g) => g.description || <span className="muted">No description</span> },
                {
                  label: 'Members, in order',
                  cell: (g) =>
                    (g.member_ids ?? []).length === 0 ? (
                      <span className="muted">No members</span>
                    ) : (
                      <ol className="members-inline">
                        {(g.member_ids ?? []).map((id) => (
                          <li key={id}>{userLabel(id)}</li>
                        ))}
                      </ol>
                    ),
                },
              ]}
              actions={(g) => <RowActions name={g.name} onEdit={() => setEditing(g)} onDelete={() => setDeleting(g)} />}
            />
          )
        }
      </Loaded>
      {editing && users.data && (
        <GroupForm
          api={api}
          group={editing === 'new' ? null : editing}
          users={users.data}
          onClose={() => setEditing(null)}
          onSaved={(g, created) => {
            setEditing(null)
            setDone(created ? `Group ${g.name} was created.` : `Group ${g.name} was saved.`)
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          action="Delete group"
          inUseAdvice="Take the group out of those flows first."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del.mutateAsync(deleting.id)
            setDeleting(null)
            setDone(`Group ${deleting.name} was deleted.`)
          }}
        >
          <p>Its members stay as phone users; only the group goes. This cannot be undone.</p>
        </Confirm>
      )}
    </div>
  )
}

const groupFields = ['name', 'description', 'member_ids'] as const

function GroupForm(props: { api: Api; group: Group | null; users: User[]; onClose: () => void; onSaved: (g: Group, created: boolean) => void }) {
  const g = props.group
  const save = useSaveGroup(props.api)
  const [name, setName] = useState(g?.name ?? '')
  const [description, setDescription] = useState(g?.description ?? '')
  const [members, setMembers] = useState<number[]>(g?.member_ids ?? [])
  const [candidate, setCandidate] = useState(0)
  const form = useRef<HTMLFormElement>(null)
  const { errors, other, clear, show } = useFormErrors(groupFields, form)
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
    clear()
    const input = { name: name.trim(), description: description.trim(), member_ids: members }
    try {
      props.onSaved(await save.mutateAsync({ id: g?.id, input }), !g)
    } catch (err) {
      show(err)
    }
  }

  return (
    <FormDialog
      title={g ? `Edit ${g.name}` : 'Create a phone group'}
      onClose={props.onClose}
      onSubmit={submit}
      formRef={form}
      submit={g ? 'Save changes' : 'Create group'}
      busy={save.isPending}
      error={other}
      wide
    >
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
    </FormDialog>
  )
}
