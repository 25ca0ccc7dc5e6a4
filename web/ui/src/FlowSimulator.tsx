// "Try a call": walks the saved draft one step at a time through
// POST /flows/{id}/simulate. The server decides every step with the call
// engine's own transitions; this panel only shows them and offers the
// events the server lists.
import { useEffect, useState } from 'react'
import { ApiError, message, type Api } from './api'
import { exitLabel, simulate, type SimStep } from './flows'
import { Notice } from './ui'

/** eventLabel names an event as the button offering it. */
function eventLabel(e: string): string {
  if (e.startsWith('key:')) return `Press ${e.slice(4)}`
  switch (e) {
    case 'next':
      return 'Go on'
    case 'answer':
      return 'Someone answers'
    case 'message':
      return 'Caller leaves a message'
    case 'timeout':
      return 'Timeout'
    case 'busy':
      return 'Busy'
    case 'unavailable':
      return 'Unavailable'
  }
  return e
}

export function FlowSimulator(props: { api: Api; flowId: number; dirty: boolean; saveDraft: () => Promise<boolean>; onAt: (state: string | null) => void; onClose: () => void }) {
  const [steps, setSteps] = useState<SimStep[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const last = steps[steps.length - 1]
  const { onAt } = props

  useEffect(() => onAt(last?.state?.id ?? null), [last, onAt])
  useEffect(() => () => onAt(null), [onAt])

  const step = async (state: string, event: string, answered: boolean, fresh: boolean) => {
    setBusy(true)
    setError('')
    try {
      // The server simulates the draft it has: save what the builder shows first.
      if (fresh && props.dirty && !(await props.saveDraft())) {
        setError('The draft could not be saved, so there is nothing new to try: see the problems on the canvas.')
        return
      }
      const s = await simulate(props.api, props.flowId, { state, event, answered })
      setSteps((prev) => (fresh ? [s] : [...prev, s]))
    } catch (e) {
      setError(e instanceof ApiError ? Object.values(e.fields).join(' ') || e.message : message(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="simulator" aria-labelledby="sim-title">
      <header className="panel-title">
        <h3 id="sim-title">Try a call</h3>
        <button type="button" className="icon" aria-label="Close the simulator" onClick={props.onClose}>
          ×
        </button>
      </header>
      <p className="hint">Follows the draft as a real call would, without placing one. You choose what the caller and the phones do.</p>
      <button type="button" className="primary" disabled={busy} onClick={() => step('', '', false, true)}>
        {steps.length ? 'Start again' : 'Start a call'}
      </button>
      {props.dirty && steps.length === 0 && <p className="hint">Starting saves the draft first.</p>}
      {error && <Notice kind="error">{error}</Notice>}
      {steps.length > 0 && (
        <ol className="sim-steps" aria-label="The call so far">
          {steps.map((s, i) => (
            <li key={i} className={s.end ? 'ended' : ''}>
              <span className="sim-event">
                {i === 0 ? 'The call arrives' : eventLabel(s.event)}
                {s.outcome && i > 0 && !s.event.startsWith('key:') && s.event !== s.outcome ? ` (${exitLabel(s.outcome)})` : ''}
              </span>
              {s.state && (
                <span className="sim-where">
                  → <strong>{s.state.id}</strong>: {s.action?.summary}
                </span>
              )}
              {s.end && (
                <span className="sim-end" data-sim-end>
                  {s.end.summary}
                  {s.end.sip_code !== 200 && ` (SIP ${s.end.sip_code} ${s.end.reason})`}
                </span>
              )}
              {s.problems.length > 0 && (
                <ul className="state-problems">
                  {s.problems.map((p) => (
                    <li key={`${p.field}: ${p.message}`}>Publishing would refuse this: {p.message}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      {last && !last.end && last.state && (
        <div className="sim-events" role="group" aria-label={`What happens in ${last.state.id}`}>
          <p>
            What happens in <strong>{last.state.id}</strong>?
          </p>
          {last.events.map((e) => (
            <button key={e} type="button" disabled={busy} onClick={() => step(last.state!.id, e, last.answered, false)}>
              {eventLabel(e)}
            </button>
          ))}
        </div>
      )}
    </section>
  )
}
