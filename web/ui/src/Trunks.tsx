// SIP trunks: the carriers the PBX takes calls from and places calls
// through, with the live state of the PBX's registration to each.
import { useState } from 'react'
import { Link } from 'react-router'
import { useForm } from 'react-hook-form'
import { type Api } from './api'
import { useDeleteTrunk, useSaveTrunk, useTrunks, type Trunk, type TrunkInput } from './numbers'
import { SettingsNav } from './Settings'
import { Check, Confirm, Empty, Field, FormDialog, Loaded, Notice, RowActions, Table, serverErrors } from './ui'

const formats: Record<Trunk['caller_id_format'], string> = {
  e164: 'E.164 (+15550001111)',
  digits: 'Digits (15550001111)',
  national: 'National (5550001111)',
}

export function Trunks({ api }: { api: Api }) {
  const trunks = useTrunks(api, true)
  const del = useDeleteTrunk(api)
  const [editing, setEditing] = useState<Trunk | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Trunk | null>(null)
  const [done, setDone] = useState('')
  const add = (
    <button className="primary" onClick={() => (setDone(''), setEditing('new'))}>
      Add trunk
    </button>
  )
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav />
      <div className="toolbar">
        <p className="muted">
          A trunk connects the PBX to a carrier: calls to your <Link to="/telephony/numbers">phone numbers</Link> arrive through it, and outbound calls leave
          through it.
        </p>
        {add}
      </div>
      {done && (
        <Notice kind="success" action={<button onClick={() => setDone('')}>Dismiss</button>}>
          {done}
        </Notice>
      )}
      <Loaded query={trunks} what="SIP trunks">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No SIP trunks yet" action={add}>
              Add the trunk your carrier gave you: its host, and the addresses its calls come from.
            </Empty>
          ) : (
            <Table
              label="SIP trunks"
              rows={list}
              rowKey={(t) => t.id}
              rowProps={(t) => ({ 'data-trunk': t.name })}
              columns={[
                {
                  label: 'Name',
                  cell: (t) => (
                    <>
                      <strong>{t.name}</strong>
                      <span className="sub">
                        {t.host}:{t.port} over {t.transport.toUpperCase()}
                      </span>
                    </>
                  ),
                },
                {
                  label: 'Calls from',
                  cell: (t) =>
                    t.inbound_cidrs?.length ? (
                      <ul className="cidrs">
                        {t.inbound_cidrs.map((c) => (
                          <li key={c}>{c}</li>
                        ))}
                      </ul>
                    ) : (
                      <span className="muted">Its host only</span>
                    ),
                },
                { label: 'Caller ID', cell: (t) => formats[t.caller_id_format] ?? t.caller_id_format },
                { label: 'Registration', cell: (t) => <RegistrationState trunk={t} /> },
              ]}
              actions={(t) => <RowActions name={t.name} onEdit={() => (setDone(''), setEditing(t))} onDelete={() => (setDone(''), setDeleting(t))} />}
            />
          )
        }
      </Loaded>
      {editing && (
        <TrunkForm
          api={api}
          trunk={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(t, created) => {
            setEditing(null)
            setDone(created ? `The trunk ${t.name} was added.` : `The trunk ${t.name} was saved.`)
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          action="Delete trunk"
          inUseAdvice="Delete those numbers, or move them to another trunk, first."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del.mutateAsync(deleting.id)
            setDeleting(null)
            setDone(`The trunk ${deleting.name} was deleted.`)
          }}
        >
          <p>Calls from {deleting.host} are no longer accepted, and no call leaves through it. A trunk that numbers come from cannot be deleted.</p>
        </Confirm>
      )}
    </section>
  )
}

/** RegistrationState says whether the PBX is registered to the carrier, as the last list read it. */
function RegistrationState({ trunk: t }: { trunk: Trunk }) {
  if (!t.enabled) return <span className="status offline">Disabled</span>
  if (!t.register)
    return (
      <span className="reg" data-registration="off">
        <span className="muted">Not registering</span>
        <span className="sub">The carrier sends calls to this PBX's address</span>
      </span>
    )
  const r = t.registration
  if (r?.registered)
    return (
      <span className="reg" data-registration="registered">
        <span className="status online">Registered</span>
        {r.expires_at && <span className="sub">Valid until {new Date(r.expires_at).toLocaleTimeString()}, renewed before then</span>}
      </span>
    )
  if (r?.error)
    return (
      <span className="reg" data-registration="failed">
        <span className="status failed">Not registered</span>
        <span className="sub">{r.error}; tried again every 30 seconds</span>
      </span>
    )
  return (
    <span className="reg" data-registration="pending">
      <span className="status">Registering…</span>
    </span>
  )
}

type TrunkFields = {
  name: string
  host: string
  port: string
  transport: 'udp' | 'tcp'
  username: string
  password: string
  register: boolean
  inbound_cidrs: string
  caller_id_format: Trunk['caller_id_format']
  enabled: boolean
}
const known = ['name', 'host', 'port', 'transport', 'username', 'password', 'register', 'inbound_cidrs', 'caller_id_format', 'enabled'] as const

function TrunkForm(props: { api: Api; trunk: Trunk | null; onClose: () => void; onSaved: (t: Trunk, created: boolean) => void }) {
  const t = props.trunk
  const save = useSaveTrunk(props.api)
  const [other, setOther] = useState('')
  const { register, handleSubmit, setError, clearErrors, setFocus, watch, setValue, formState } = useForm<TrunkFields>({
    defaultValues: {
      name: t?.name ?? '',
      host: t?.host ?? '',
      port: String(t?.port ?? 5060),
      transport: t?.transport ?? 'udp',
      username: t?.username ?? '',
      password: '',
      register: t?.register ?? false,
      inbound_cidrs: (t?.inbound_cidrs ?? []).join('\n'),
      caller_id_format: t?.caller_id_format ?? 'e164',
      enabled: t?.enabled ?? true,
    },
  })
  const errors = formState.errors

  const submit = handleSubmit(async (f) => {
    setOther('')
    const input: TrunkInput = {
      name: f.name.trim(),
      host: f.host.trim(),
      // The server says what is wrong with a port; a blank one is the default.
      port: f.port.trim() === '' ? 5060 : Number(f.port),
      transport: f.transport,
      username: f.username.trim(),
      register: f.register,
      inbound_cidrs: f.inbound_cidrs
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      caller_id_format: f.caller_id_format,
      enabled: f.enabled,
    }
    if (f.password) input.password = f.password
    try {
      const saved = await save.mutateAsync({ id: t?.id, input })
      props.onSaved(saved, !t)
    } catch (err) {
      const { fields, other } = serverErrors(err, known)
      for (const [k, m] of Object.entries(fields)) setError(k as keyof TrunkFields, { message: m as string })
      const first = known.find((k) => fields[k])
      if (first) setFocus(first)
      setOther(other)
    }
  })

  return (
    <FormDialog
      title={t ? `Edit ${t.name}` : 'Add a SIP trunk'}
      onClose={props.onClose}
      onSubmit={(e) => {
        // The server's complaints about the checkboxes, which the form does not register, would otherwise stay and block the next try.
        clearErrors()
        submit(e)
      }}
      submit={t ? 'Save changes' : 'Add trunk'}
      busy={save.isPending}
      error={other}
      wide
      grid
    >
      <Field label="Name" error={errors.name?.message}>
        {(a) => <input {...a} autoComplete="off" {...register('name')} />}
      </Field>
      <Field label="Host" error={errors.host?.message} hint="The carrier's SIP server: an IP address or a host name.">
        {(a) => <input {...a} autoComplete="off" {...register('host')} />}
      </Field>
      <Field label="Port" error={errors.port?.message}>
        {(a) => <input {...a} inputMode="numeric" {...register('port', { pattern: { value: /^\s*\d*\s*$/, message: 'Enter a port number from 1 to 65535.' } })} />}
      </Field>
      <Field label="Transport" error={errors.transport?.message}>
        {(a) => (
          <select {...a} {...register('transport')}>
            <option value="udp">UDP</option>
            <option value="tcp">TCP</option>
          </select>
        )}
      </Field>
      <Field label="Username" error={errors.username?.message} hint="What the carrier's digest challenges are answered with.">
        {(a) => <input {...a} autoComplete="off" {...register('username')} />}
      </Field>
      <Field label="Password" error={errors.password?.message} hint={t?.has_password ? 'Leave blank to keep the current password.' : 'Kept to answer the carrier; never shown again.'}>
        {(a) => <input {...a} type="password" autoComplete="new-password" {...register('password')} />}
      </Field>
      <Field
        label="Calls come from"
        error={errors.inbound_cidrs?.message}
        hint="The carrier's addresses or networks, such as 203.0.113.0/24; one per line. Calls from them are this trunk's."
      >
        {(a) => <textarea {...a} rows={3} {...register('inbound_cidrs')} />}
      </Field>
      <Field label="Caller ID format" error={errors.caller_id_format?.message} hint="How the calling number is written toward the carrier.">
        {(a) => (
          <select {...a} {...register('caller_id_format')}>
            {Object.entries(formats).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="options">
        <legend>Connection</legend>
        <Check
          label="Register to the carrier"
          hint="For carriers that send calls to where you register; needs the username and password."
          checked={watch('register')}
          onChange={(v) => setValue('register', v)}
          error={errors.register?.message}
        />
        <Check label="Enabled" hint="A disabled trunk takes no calls and places none." checked={watch('enabled')} onChange={(v) => setValue('enabled', v)} error={errors.enabled?.message} />
      </fieldset>
    </FormDialog>
  )
}
