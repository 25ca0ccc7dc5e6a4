// The side panel of the flow builder: every option of the selected state,
// its exits (a keyboard way to connect), and an IVR's menu keys.
import { useId, useState } from 'react'
import { mediaAudioUrl, type MediaFile } from './api'
import { exitLabel, exitsOf, maxMenuKeys, menuKeys, typeLabel, type FlowState, type Prompt } from './flows'
import type { ExitEdge, StateNode } from './flowgraph'
import type { Directory } from './FlowBuilder'
import { Check, Field } from './ui'

interface Props {
  node: StateNode
  nodes: StateNode[]
  edges: ExitEdge[]
  directory: Directory | undefined
  onChange: (next: FlowState, key: string) => void
  onKeys: (keys: string[], renamed?: { from: string; to: string }) => void
  onAddKey: () => void
  onConnect: (outcome: string, to: string) => void
  onDelete: () => void
}

export function StateEditor(p: Props) {
  const s = p.node.data.state
  const d = p.directory ?? { users: [], groups: [], media: [] }
  const set = (key: string, patch: Partial<FlowState>) => {
    const next = { ...s, ...patch } as FlowState
    for (const k of Object.keys(patch) as (keyof FlowState)[]) if (next[k] === undefined) delete next[k]
    p.onChange(next, key)
  }
  const num = (v: string) => (v === '' ? undefined : Number(v))
  const exits = exitsOf(s.type, p.node.data.keys)
  const targets = p.nodes.filter((n) => n.id !== p.node.id && n.data.state.type !== 'start')
  const transfer = s.type === 'transfer_user' || s.type === 'transfer_group'

  return (
    <section className="state-editor" aria-labelledby="state-editor-title">
      <header className="panel-title">
        <h3 id="state-editor-title">
          {typeLabel(s.type)} <code>{s.id}</code>
        </h3>
      </header>
      {p.node.data.problems.length > 0 && (
        <ul className="state-problems" aria-label="What publishing refuses here">
          {p.node.data.problems.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {s.type === 'start' && <p className="muted">Every call to the flow's numbers enters here and goes on to the one state Start leads to.</p>}

      {s.type === 'transfer_user' && (
        <Field label="User to ring">
          {(a) => (
            <UserSelect attrs={a} users={d.users} value={s.user_id} none="Choose a user…" onChange={(id) => set('user', { user_id: id })} />
          )}
        </Field>
      )}
      {s.type === 'transfer_group' && (
        <>
          <Field label="Group to ring">
            {(a) => (
              <select {...a} value={s.group_id ?? ''} onChange={(e) => set('group', { group_id: num(e.target.value) })}>
                <option value="">Choose a group…</option>
                {d.groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Ring type" hint="Sequential rings one member after another, in the order they signed in, skipping those not available.">
            {(a) => (
              <select {...a} value={s.ring ?? 'parallel'} onChange={(e) => set('ring', { ring: e.target.value as FlowState['ring'] })}>
                <option value="parallel">Parallel: every available member at once</option>
                <option value="sequential">Sequential: one member at a time</option>
              </select>
            )}
          </Field>
        </>
      )}
      {transfer && (
        <>
          <Field
            label={s.type === 'transfer_group' && s.ring === 'sequential' ? 'Ring time per member (seconds)' : 'Ring time (seconds)'}
            hint={`5 to 300; left empty, ${s.type === 'transfer_group' && s.ring === 'sequential' ? 20 : 30} seconds. Then the call leaves by Timeout.`}
          >
            {(a) => <input {...a} type="number" min={5} max={300} value={s.ring_seconds ?? ''} onChange={(e) => set('ring_seconds', { ring_seconds: num(e.target.value) })} />}
          </Field>
          <Check label="Record this call" checked={!!s.record} onChange={(v) => set('record', { record: v || undefined })} />
          <fieldset className="options">
            <legend>Call queuing</legend>
            <Check
              label="Queue callers while everyone is on another call"
              hint="Off, a caller who finds everyone busy leaves by Busy."
              checked={!!s.queue && (s.queue.max_calls ?? 0) > 0}
              onChange={(v) => set('queue', { queue: v ? { max_calls: 5, music_repeat: 0 } : undefined })}
            />
            {s.queue && (s.queue.max_calls ?? 0) > 0 && (
              <>
                <Field label="Most callers in the queue" hint="1 to 100">
                  {(a) => (
                    <input {...a} type="number" min={1} max={100} value={s.queue?.max_calls ?? ''} onChange={(e) => set('queue.max_calls', { queue: { ...s.queue, max_calls: num(e.target.value) ?? 0 } })} />
                  )}
                </Field>
                <PromptEditor
                  label="Caller notification"
                  optional
                  prompt={s.queue.notify}
                  media={d.media}
                  onChange={(v, key) => set('queue.notify.' + key, { queue: { ...s.queue, notify: v } })}
                />
                <PromptEditor label="Hold music" optional prompt={s.queue.music} media={d.media} onChange={(v, key) => set('queue.music.' + key, { queue: { ...s.queue, music: v } })} />
                <Field label="Times the hold music plays" hint="0 plays it until the call leaves the queue">
                  {(a) => (
                    <input {...a} type="number" min={0} max={100} value={s.queue?.music_repeat ?? 0} onChange={(e) => set('queue.music_repeat', { queue: { ...s.queue, music_repeat: num(e.target.value) ?? 0 } })} />
                  )}
                </Field>
              </>
            )}
          </fieldset>
        </>
      )}
      {(s.type === 'ivr' || s.type === 'announce' || s.type === 'voicemail') && (
        <PromptEditor
          label={s.type === 'ivr' ? 'Menu announcement' : s.type === 'voicemail' ? 'Greeting before the beep' : 'Announcement'}
          prompt={s.prompt}
          media={d.media}
          onChange={(v, key) => set('prompt.' + key, { prompt: v })}
        />
      )}
      {s.type === 'ivr' && <p className="hint">After the announcement ends, the caller has 5 seconds to press a key; then the call leaves by Timeout.</p>}
      {s.type === 'voicemail' && (
        <>
          <Field label="Longest message (seconds)" hint="1 to 120; left empty, 120">
            {(a) => <input {...a} type="number" min={1} max={120} value={s.max_seconds ?? ''} onChange={(e) => set('max_seconds', { max_seconds: num(e.target.value) })} />}
          </Field>
          <Field label="Silence before Timeout (seconds)" hint="1 to 60; left empty, 10">
            {(a) => <input {...a} type="number" min={1} max={60} value={s.timeout_seconds ?? ''} onChange={(e) => set('timeout_seconds', { timeout_seconds: num(e.target.value) })} />}
          </Field>
          <Field label="Mailbox owner" hint="Optional: whose voicemail the message is in the call history">
            {(a) => (
              <UserSelect attrs={a} users={d.users} value={s.user_id} none="Nobody in particular" onChange={(id) => set('user', { user_id: id })} />
            )}
          </Field>
        </>
      )}

      {s.type === 'ivr' && (
        <fieldset className="options menu-keys">
          <legend>Menu keys</legend>
          {p.node.data.keys.length === 0 && <p className="muted">No keys yet.</p>}
          <ul>
            {p.node.data.keys.map((k) => (
              <li key={k}>
                <label>
                  <span className="sr-only">Key</span>
                  <select
                    aria-label={`Key ${k}`}
                    value={k}
                    onChange={(e) => p.onKeys(p.node.data.keys.map((x) => (x === k ? e.target.value : x)), { from: k, to: e.target.value })}
                  >
                    {menuKeys
                      .filter((x) => x === k || !p.node.data.keys.includes(x))
                      .map((x) => (
                        <option key={x} value={x}>
                          Key {x}
                        </option>
                      ))}
                  </select>
                </label>
                <button type="button" className="icon danger-text" aria-label={`Remove key ${k}`} onClick={() => p.onKeys(p.node.data.keys.filter((x) => x !== k))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={p.onAddKey}>
            Add a key
          </button>
          <p className="hint">
            {p.node.data.keys.length} of {maxMenuKeys} keys (0-9 and *).
          </p>
        </fieldset>
      )}

      <fieldset className="options exits-editor">
        <legend>Where the call goes</legend>
        {exits.map((o) => {
          const to = p.edges.find((e) => e.source === s.id && e.sourceHandle === o)?.target ?? ''
          return (
            <Field key={o} label={exitLabel(o)}>
              {(a) => (
                <select {...a} value={to} onChange={(e) => p.onConnect(o, e.target.value)}>
                  <option value="">{s.type === 'start' ? 'Nowhere yet' : 'Ends the call'}</option>
                  {targets.map((n) => (
                    <option key={n.id} value={n.id}>
                      {n.id} ({typeLabel(n.data.state.type)})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )
        })}
      </fieldset>
      <button type="button" className="danger-text" onClick={p.onDelete}>
        Delete this state
      </button>
    </section>
  )
}

type Kind = 'none' | 'text' | 'file' | 'url'

/** UserSelect picks one phone user, or none (the first option, named none). */
function UserSelect(props: { attrs: object; users: Directory['users']; value: number | undefined; none: string; onChange: (id: number | undefined) => void }) {
  return (
    <select {...props.attrs} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value === '' ? undefined : Number(e.target.value))}>
      <option value="">{props.none}</option>
      {props.users.map((u) => (
        <option key={u.id} value={u.id}>
          {u.name} ({u.extension})
        </option>
      ))}
    </select>
  )
}

function kindOf(p: Prompt | undefined, optional?: boolean): Kind {
  if (p?.file_id) return 'file'
  if (p?.url !== undefined) return 'url'
  if (p?.text !== undefined) return 'text'
  return optional ? 'none' : 'text'
}

/** PromptEditor edits what a caller hears: text read aloud, an uploaded WAV file or an audio URL, with a way to hear it. */
function PromptEditor(props: { label: string; prompt: Prompt | undefined; media: MediaFile[]; optional?: boolean; onChange: (p: Prompt | undefined, key: string) => void }) {
  const [kind, setKind] = useState<Kind>(kindOf(props.prompt, props.optional))
  const name = useId()
  const p = props.prompt
  const choose = (k: Kind) => {
    setKind(k)
    props.onChange(undefined, 'kind')
  }
  const kinds: { k: Kind; label: string }[] = [
    ...(props.optional ? [{ k: 'none' as Kind, label: 'None' }] : []),
    { k: 'text', label: 'Text read aloud' },
    { k: 'file', label: 'Uploaded file' },
    { k: 'url', label: 'Audio URL' },
  ]
  const speak = () => {
    if (!p?.text || !('speechSynthesis' in window)) return
    window.speechSynthesis.cancel()
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(p.text))
  }
  return (
    <fieldset className="options prompt-editor">
      <legend>{props.label}</legend>
      <div className="chips" role="radiogroup" aria-label={`${props.label}: kind`}>
        {kinds.map(({ k, label }) => (
          <label key={k} className="radio">
            <input type="radio" name={name} checked={kind === k} onChange={() => choose(k)} />
            {label}
          </label>
        ))}
      </div>
      {kind === 'text' && (
        <>
          <Field label={`${props.label} text`} hint="Read to the caller by the text-to-speech voice.">
            {(a) => <textarea {...a} rows={3} value={p?.text ?? ''} onChange={(e) => props.onChange(e.target.value.trim() ? { text: e.target.value } : undefined, 'text')} />}
          </Field>
          <button type="button" onClick={speak} disabled={!p?.text} aria-label={`Play ${props.label.toLowerCase()}`}>
            ▶ Play
          </button>
          <span className="hint"> Plays in your browser's voice; callers hear the PBX's.</span>
        </>
      )}
      {kind === 'file' && (
        <>
          <Field label={`${props.label} file`} hint={props.media.length ? 'A WAV file uploaded under Audio files.' : 'Upload a WAV file under Audio files first.'}>
            {(a) => (
              <select {...a} value={p?.file_id ?? ''} onChange={(e) => props.onChange(e.target.value ? { file_id: Number(e.target.value) } : undefined, 'file')}>
                <option value="">Choose a file…</option>
                {props.media.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name} ({m.duration_seconds} s)
                  </option>
                ))}
              </select>
            )}
          </Field>
          {p?.file_id ? <audio controls preload="none" src={mediaAudioUrl(p.file_id)} aria-label={`Play ${props.label.toLowerCase()}`} /> : null}
        </>
      )}
      {kind === 'url' && (
        <>
          <Field label={`${props.label} URL`} hint="An http:// or https:// address of a WAV file the PBX fetches.">
            {(a) => <input {...a} type="url" value={p?.url ?? ''} onChange={(e) => props.onChange(e.target.value ? { url: e.target.value } : undefined, 'url')} />}
          </Field>
          {p?.url && /^https?:\/\/./.test(p.url) ? <audio controls preload="none" src={p.url} aria-label={`Play ${props.label.toLowerCase()}`} /> : null}
        </>
      )}
    </fieldset>
  )
}
