import { lazy, Suspense } from 'react'
import type { Api } from './api'
import { NavLink, useParams } from 'react-router'
import { Users } from './Users'
import { Groups } from './Groups'
import { Calls } from './Calls'
import { Media } from './Media'
import { Numbers } from './Numbers'
import { Empty, Loading, NotFound } from './ui'

// The charts library is large: the Plan details page loads it when it is opened.
const Plan = lazy(() => import('./Plan').then((m) => ({ default: m.Plan })))

export const tabs = [
  { id: 'plan', label: 'Plan details' },
  { id: 'numbers', label: 'Phone numbers' },
  { id: 'flows', label: 'Call flows' },
  { id: 'media', label: 'Audio files' },
  { id: 'users', label: 'Phone users' },
  { id: 'groups', label: 'Phone groups' },
  { id: 'calls', label: 'Call history' },
]

// Tabs whose capability has not landed yet say so plainly.
const coming: Record<string, { title: string; text: string }> = {
  flows: {
    title: 'Call flows arrive with the flow engine',
    text: 'The drag-and-drop builder for IVR menus, transfers, announcements and voicemail arrives with the call-flow engine.',
  },
}

export function Telephony({ api }: { api: Api }) {
  const tab = useParams().tab ?? ''
  if (!tabs.some((t) => t.id === tab)) return <NotFound />
  return (
    <section className="page">
      <h1>Telephony</h1>
      <nav className="tabs" aria-label="Telephony">
        {tabs.map((t) => (
          <NavLink key={t.id} to={'/telephony/' + t.id}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      <div className="tab-panel">
        {tab === 'users' && <Users api={api} />}
        {tab === 'groups' && <Groups api={api} />}
        {tab === 'calls' && <Calls api={api} />}
        {tab === 'media' && <Media api={api} />}
        {tab === 'numbers' && <Numbers api={api} />}
        {tab === 'plan' && (
          <Suspense fallback={<Loading what="Plan details" />}>
            <Plan api={api} />
          </Suspense>
        )}
        {coming[tab] && <Empty title={coming[tab].title}>{coming[tab].text}</Empty>}
      </div>
    </section>
  )
}
