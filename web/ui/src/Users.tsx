import { useRef, useState } from 'react'
import { message, type Api, type Group, type Registration, type User, type UserInput } from './api'
import { useDeleteUser, useGroups, useRegistrations, useSaveUser, useUsers } from './people'
import { Check, Confirm, Empty, Field, FormDialog, Loaded, Notice, RowActions, Table, useFormErrors } from './ui'

export function Users({ api }: { api: Api }) {
  const [groupFilter, setGroupFilter] = useState(0)
  const users = useUsers(api, groupFilter)
  const groups = useGroups(api)
  // Online status is a nicety: the list still shows if it cannot be read.
  const regs = useRegistrations(api)
  const del = useDeleteUser(api)
  const [editing, setEditing] = useState<User | 'new' | null>(null)
  const [removing, setRemoving] = useState<User | null>(null)
  const [done, setDone] = useState('')

  const online = new Map<number, Registration[]>()
  for (const r of regs.data ?? []) online.set(r.user_id, [...(online.get(r.user_id) ?? []), r])
  const groupName = (id: number) => groups.data?.find((g) => g.id === id)?.name ?? `#${id}`
  const add = (label: string) => (
    <button className="primary" onClick={() => setEditing('new')}>
      {label}
    </button>
  )

  return (
    <div>
      <div className="toolbar">
        <div className="filter">
          <label htmlFor="group-filter">Group</label>
          <select id="group-filter" value={groupFilter} onChange={(e) => setGroupFilter(Number(e.target.value))}>
            <option value={0}>All groups</option>
            {groups.data?.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        {add('Add user')}
      </div>
      {done && <Notice kind="success">{done}</Notice>}
      {regs.error && <Notice kind="info">Online status is unavailable: {message(regs.error)}</Notice>}
      <Loaded query={users} what="phone users">
        {(list) =>
          list.length === 0 ? (
            groupFilter ? (
              <Empty title="No users in this group">Add users to {groupName(groupFilter)} from the Phone groups tab, or from a user's settings.</Empty>
            ) : (
              <Empty title="No phone users yet" action={add('Add the first user')}>
                A phone user is a person who places and takes calls from their desk phone or softphone.
              </Empty>
            )
          ) : (
            <Table
              label="Phone users"
              rows={list}
              rowKey={(u) => u.id}
              rowProps={(u) => ({ 'data-user': u.extension })}
              columns={[
                {
                  label: 'Name',
                  cell: (u) => (
                    <>
                      <strong>{u.name}</strong>
                      <span className="sub">SIP {u.sip_username}</span>
                    </>
                  ),
                },
                { label: 'Extension', cell: (u) => u.extension },
                { label: 'Groups', cell: (u) => (u.group_ids ?? []).map(groupName).join(', ') || <span className="muted">None</span> },
                {
                  label: 'Outbound calls',
                  cell: (u) => (u.allow_outbound ? (u.record_outbound ? 'Allowed, recorded' : 'Allowed') : <span className="muted">Not allowed</span>),
                },
                { label: 'Status', cell: (u) => <Online regs={regs.error ? null : (online.get(u.id) ?? [])} /> },
              ]}
              actions={(u) => <RowActions name={u.name} onEdit={() => setEditing(u)} onDelete={() => setRemoving(u)} remove="Remove" />}
            />
          )
        }
      </Loaded>
      {editing && groups.data && (
        <UserForm
          api={api}
          user={editing === 'new' ? null : editing}
          groups={groups.data}
          onClose={() => setEditing(null)}
          onSaved={(u, created) => {
            setEditing(null)
            setDone(created ? `${u.name} was added with extension ${u.extension}.` : `${u.name} was saved.`)
          }}
        />
      )}
      {removing && (
        <Confirm
          title={`Remove ${removing.name}?`}
          action="Remove user"
          inUseAdvice="Take the user out of those flows first."
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await del.mutateAsync(removing.id)
            setRemoving(null)
            setDone(`${removing.name} was removed.`)
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

/** Online says whether a user has a phone registered; null: unknown. */
function Online({ regs }: { regs: Registration[] | null }) {
  if (regs === null) return <span className="muted">Unknown</span>
  if (regs.length === 0) return <span className="status offline">Offline</span>
  return (
    <span className="status online" title={regs.map((r) => `${r.user_agent || 'device'} from ${r.source}`).join('\n')}>
      Online{regs.length > 1 ? ` (${regs.length} devices)` : ''}
    </span>
  )
}

const userFields = ['name', 'extension', 'sip_username', 'sip_password', 'caller_ids', 'group_ids', 'allow_outbound', 'record_outbound', 'allow_custom_caller_id'] as const

function UserForm(props: { api: Api; user: User | null; groups: Group[]; onClose: () => void; onSaved: (u: User, created: boolean) => void }) {
  const u = props.user
  const save = useSaveUser(props.api)
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
  const form = useRef<HTMLFormElement>(null)
  const { errors, other, clear, show } = useFormErrors(userFields, form)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    clear()
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
      props.onSaved(await save.mutateAsync({ id: u?.id, input }), !u)
    } catch (err) {
      show(err)
    }
  }

  return (
    <FormDialog
      title={u ? `Edit ${u.name}` : 'Add a phone user'}
      onClose={props.onClose}
      onSubmit={submit}
      formRef={form}
      submit={u ? 'Save changes' : 'Add user'}
      busy={save.isPending}
      error={other}
      wide
      grid
    >
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
    </FormDialog>
  )
}
