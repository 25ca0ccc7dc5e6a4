import { useRef, useState } from 'react'
import { ApiError, mediaAudioUrl, message, type Api, type MediaFile } from './api'
import { useDeleteMedia, useMediaFiles, useUploadMedia } from './people'
import { Confirm, Empty, Field, Loaded, Notice, RowActions, Table, duration, focusFirstError } from './ui'

/** seconds reads a prompt's length: tenths under a minute, where they matter. */
function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : duration(Math.round(s))
}

function format(f: MediaFile): string {
  const khz = (f.sample_rate / 1000).toLocaleString(undefined, { maximumFractionDigits: 2 })
  const channels = f.channels === 1 ? 'mono' : f.channels === 2 ? 'stereo' : `${f.channels} channels`
  return `${khz} kHz, ${channels}, ${f.bit_depth}-bit`
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function Media({ api }: { api: Api }) {
  const files = useMediaFiles(api)
  const del = useDeleteMedia(api)
  const [deleting, setDeleting] = useState<MediaFile | null>(null)
  const [done, setDone] = useState('')

  return (
    <div>
      <Upload api={api} onStart={() => setDone('')} onUploaded={(f) => setDone(`${f.name} was uploaded.`)} />
      {done && <Notice kind="success">{done}</Notice>}
      <Loaded query={files} what="audio files">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No audio files yet">Upload greetings, menu prompts and hold music here, then choose them in a call flow.</Empty>
          ) : (
            <Table
              label="Audio files"
              rows={list}
              rowKey={(f) => f.id}
              rowProps={(f) => ({ 'data-media': f.name })}
              columns={[
                {
                  label: 'Name',
                  cell: (f) => (
                    <>
                      <strong>{f.name}</strong>
                      <span className="sub">{size(f.size_bytes)}</span>
                    </>
                  ),
                },
                { label: 'Length', cell: (f) => seconds(f.duration_seconds) },
                { label: 'Format', cell: format },
                { label: 'Uploaded', cell: (f) => new Date(f.created_at).toLocaleString() },
                { label: 'Listen', cell: (f) => <audio controls preload="none" src={mediaAudioUrl(f.id)} aria-label={`Play ${f.name}`} /> },
              ]}
              actions={(f) => <RowActions name={f.name} onDelete={() => setDeleting(f)} />}
            />
          )
        }
      </Loaded>
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          action="Delete file"
          inUseAdvice="Take it out of those flows first."
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del.mutateAsync(deleting.id)
            setDeleting(null)
            setDone(`${deleting.name} was deleted.`)
          }}
        >
          <p>Calls already playing it finish; no call flow can use it afterwards. A file that a flow plays cannot be deleted. This cannot be undone.</p>
        </Confirm>
      )}
    </div>
  )
}

function Upload({ api, onStart, onUploaded }: { api: Api; onStart: () => void; onUploaded: (f: MediaFile) => void }) {
  const [file, setFile] = useState<File | null>(null)
  const [name, setName] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState('')
  const upload = useUploadMedia(api)
  const form = useRef<HTMLFormElement>(null)
  const input = useRef<HTMLInputElement>(null)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    onStart()
    setErrors({})
    setFormError('')
    if (!file) {
      setErrors({ file: 'Choose a WAV file to upload.' })
      focusFirstError(form.current)
      return
    }
    try {
      const f = await upload.mutateAsync({ file, name: name.trim() })
      setFile(null)
      setName('')
      if (input.current) input.current.value = ''
      onUploaded(f)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        setErrors(err.fields)
        const other = Object.entries(err.fields).filter(([k]) => !['file', 'name'].includes(k))
        if (other.length) setFormError(other.map(([k, m]) => `${k}: ${m}`).join('; '))
        focusFirstError(form.current)
      } else if (err instanceof ApiError && err.status === 413) {
        setErrors({ file: message(err) })
        focusFirstError(form.current)
      } else {
        setFormError(message(err))
      }
    }
  }

  return (
    <form className="panel upload" ref={form} onSubmit={submit} aria-labelledby="upload-title" noValidate>
      <h2 id="upload-title">Upload a WAV file</h2>
      <p className="muted">Call flows play these as greetings, menus, queue announcements and hold music.</p>
      <div className="inline-form">
        <Field label="WAV file" error={errors.file} hint="PCM WAV: 8 to 48 kHz, mono or stereo, 8- or 16-bit.">
          {(a) => (
            <input
              {...a}
              ref={input}
              type="file"
              name="file"
              accept=".wav,audio/wav,audio/x-wav,audio/wave"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          )}
        </Field>
        <Field label="Name" error={errors.name} hint="Leave blank to use the file's name.">
          {(a) => <input {...a} name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <button type="submit" className="primary" disabled={upload.isPending}>
          {upload.isPending ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {formError && <Notice kind="error">{formError}</Notice>}
    </form>
  )
}
