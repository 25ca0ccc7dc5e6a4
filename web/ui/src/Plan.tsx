// Plan details: the credits wallet, buying credits, auto-recharge, credit
// analytics, the purchase history and recording storage.
import { useEffect, useState } from 'react'
import { Bar, BarChart, CartesianGrid, Cell, Legend, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ApiError, message, type Api } from './api'
import {
  chartValue,
  isAmount,
  money,
  useBuyCredits,
  useBuyStoragePlan,
  usePurchases,
  useQuote,
  useSetAutoDelete,
  useSetAutoRecharge,
  useStorage,
  useStoragePlanQuote,
  useUsage,
  useWallet,
  type Offer,
  type Period,
  type Purchase,
  type StoragePlan,
  type Wallet,
} from './billing'
import { Check, Dialog, Empty, Field, Loading, Menu, Notice } from './ui'

export function Plan({ api }: { api: Api }) {
  const wallet = useWallet(api)
  const [dialog, setDialog] = useState<'' | 'buy' | 'auto' | 'storage'>('')
  const [done, setDone] = useState('')
  const close = () => setDialog('')

  return (
    <div className="plan">
      {done && (
        <Notice kind="success" action={<button onClick={() => setDone('')}>Dismiss</button>}>
          {done}
        </Notice>
      )}
      <div className="plan-top">
        <WalletPanel wallet={wallet} onBuy={() => setDialog('buy')} onAuto={() => setDialog('auto')} />
        <StoragePanel api={api} onChange={() => setDialog('storage')} />
      </div>
      <UsagePanel api={api} />
      <PurchasesPanel api={api} />
      {dialog === 'buy' && wallet.data && (
        <BuyCredits
          api={api}
          wallet={wallet.data}
          onClose={close}
          onBought={(p) => {
            close()
            setDone(`${money(p.credits)} credits bought for ${money(p.price)} ${p.currency}${p.reference ? ` (invoice ${p.reference})` : ''}.`)
          }}
        />
      )}
      {dialog === 'auto' && wallet.data && (
        <AutoRechargeDialog
          api={api}
          wallet={wallet.data}
          onClose={close}
          onSaved={(on) => {
            close()
            setDone(on ? 'Auto-recharge is on.' : 'Auto-recharge is off.')
          }}
        />
      )}
      {dialog === 'storage' && (
        <StoragePlanDialog
          api={api}
          wallet={wallet.data}
          onClose={close}
          onBuyCredits={() => setDialog('buy')}
          onBought={(plan) => {
            close()
            setDone(`Your recording storage plan is now ${planLabel(plan)}.`)
          }}
        />
      )}
    </div>
  )
}

function WalletPanel(props: { wallet: ReturnType<typeof useWallet>; onBuy: () => void; onAuto: () => void }) {
  const { data: w, error, refetch } = props.wallet
  return (
    <section className="panel wallet" aria-labelledby="wallet-title">
      <header className="panel-head">
        <h2 id="wallet-title">Available credits</h2>
        <Menu label="Wallet actions" items={[{ label: 'Auto-recharge…', onSelect: props.onAuto }]} />
      </header>
      {error && (
        <Notice kind="error" action={<button onClick={() => refetch()}>Try again</button>}>
          The balance could not be loaded: {message(error)}
        </Notice>
      )}
      {!w && !error && <Loading what="the balance" />}
      {w && (
        <>
          <p className="balance" data-balance={w.balance}>
            {money(w.balance)} <span>credits</span>
          </p>
          <p className="muted">
            ≈ {money(w.balance_local)} {w.currency}
            {w.currency !== 'USD' && (
              <span className="sub">
                1 credit = 1 USD = {w.exchange_rate} {w.currency}
              </span>
            )}
          </p>
          <p className="auto-state" data-auto-recharge={w.auto_recharge?.enabled ? 'on' : 'off'}>
            {w.partner_managed ? (
              'Your partner manages these credits: auto-recharge is not available.'
            ) : w.auto_recharge?.enabled ? (
              <>
                <strong>Auto-recharge on:</strong> {money(w.auto_recharge.credits)} credits are bought when the balance falls below{' '}
                {money(w.auto_recharge.min_balance)}.
              </>
            ) : (
              <>Auto-recharge is off.</>
            )}
          </p>
          <button className="primary" onClick={props.onBuy}>
            Buy credits
          </button>
        </>
      )}
    </section>
  )
}

/** useDebounced follows value after it has stood still for ms. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

function BuyCredits(props: { api: Api; wallet: Wallet; onClose: () => void; onBought: (p: Purchase) => void }) {
  const [amount, setAmount] = useState('50')
  const credits = useDebounced(amount.trim(), 350)
  const quote = useQuote(props.api, credits)
  const buy = useBuyCredits(props.api)
  const valid = isAmount(amount.trim())
  const settled = credits === amount.trim()
  const fieldError =
    amount.trim() && !valid
      ? 'Enter a number of credits above 0, such as 50 or 12.5 (at most 6 decimals).'
      : quote.error instanceof ApiError
        ? (quote.error.fields.credits ?? '')
        : ''
  const q = settled && valid ? quote.data : undefined

  const pay = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!q) return
    try {
      props.onBought(await buy.mutateAsync(q.id))
    } catch {
      // shown below from buy.error
    }
  }
  const buyError = buy.error
    ? buy.error instanceof ApiError && buy.error.status === 402
      ? `The payment was refused${(buy.error.body as Purchase | null)?.reason ? `: ${(buy.error.body as Purchase).reason}` : ''}. No credits were added.`
      : message(buy.error)
    : ''

  return (
    <Dialog title="Buy credits" onClose={props.onClose}>
      <form onSubmit={pay}>
        <div className="dialog-body">
          <Field label="Credits" error={fieldError} hint="1 credit = 1 USD. Credits pay for phone numbers, recording storage and calls.">
            {(p) => <input {...p} inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} />}
          </Field>
          <div className="chips presets" role="group" aria-label="Common amounts">
            {['10', '50', '100', '500'].map((a) => (
              <button key={a} type="button" className={amount === a ? 'chip on' : 'chip'} onClick={() => setAmount(a)}>
                {a}
              </button>
            ))}
          </div>
          <div className="summary" aria-live="polite">
            {valid && (!settled || quote.isFetching) && <Loading what="the price" />}
            {q && !quote.isFetching && (
              <dl>
                <dt>Credits</dt>
                <dd>{money(q.credits)}</dd>
                <dt>Price</dt>
                <dd className="price" data-price={q.price}>
                  {money(q.price)} {q.currency}
                </dd>
                <dt>Paid by</dt>
                <dd>Invoice (manual payment); the credits are available at once</dd>
              </dl>
            )}
            {quote.error && !(quote.error instanceof ApiError && quote.error.fields.credits) && <Notice kind="error">{message(quote.error)}</Notice>}
          </div>
        </div>
        {buyError && <Notice kind="error">{buyError}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!q || buy.isPending || quote.isFetching}>
            {buy.isPending ? 'Paying…' : q ? `Pay ${money(q.price)} ${q.currency}` : 'Pay'}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

function AutoRechargeDialog(props: { api: Api; wallet: Wallet; onClose: () => void; onSaved: (on: boolean) => void }) {
  const a = props.wallet.auto_recharge
  const [enabled, setEnabled] = useState(a?.enabled || !props.wallet.partner_managed)
  const [min, setMin] = useState(a?.min_balance && a.min_balance !== '0' ? a.min_balance : '10')
  const [credits, setCredits] = useState(a?.credits && a.credits !== '0' ? a.credits : '50')
  const save = useSetAutoRecharge(props.api)
  const fields = save.error instanceof ApiError ? save.error.fields : {}
  const general = save.error && !Object.keys(fields).length ? message(save.error) : ''
  // A refusal is about the values sent: editing one clears it.
  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v)
      if (save.error) save.reset()
    }
  return (
    <Dialog title="Auto-recharge" onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          try {
            await save.mutateAsync({ enabled, min_balance: min.trim(), credits: credits.trim() })
            props.onSaved(enabled)
          } catch {
            // shown from save.error
          }
        }}
      >
        <div className="dialog-body">
          {props.wallet.partner_managed && <Notice kind="info">A partner manages your credits: auto-recharge is not available to you.</Notice>}
          <p>When a charge takes the balance below the minimum, the credits below are bought at once, through the same payment as Buy credits.</p>
          <Check label="Recharge automatically" checked={enabled} onChange={edit(setEnabled)} error={fields.enabled} />
          <Field label="Minimum balance (credits)" error={fields.min_balance} hint="You are also notified when the balance falls below it.">
            {(p) => <input {...p} inputMode="decimal" value={min} onChange={(e) => edit(setMin)(e.target.value)} />}
          </Field>
          <Field label="Credits to buy" error={fields.credits}>
            {(p) => <input {...p} inputMode="decimal" value={credits} onChange={(e) => edit(setCredits)(e.target.value)} disabled={!enabled} />}
          </Field>
        </div>
        {general && <Notice kind="error">{general}</Notice>}
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

const periods: { id: Period; label: string }[] = [
  { id: 'this_week', label: 'This week' },
  { id: 'last_week', label: 'Last week' },
  { id: 'this_month', label: 'This month' },
  { id: 'last_month', label: 'Last month' },
  { id: 'this_quarter', label: 'This quarter' },
  { id: 'last_quarter', label: 'Last quarter' },
  { id: 'custom', label: 'Custom range' },
]

const categories: { id: 'inbound' | 'outbound' | 'numbers' | 'storage'; label: string; color: string }[] = [
  { id: 'inbound', label: 'Incoming calls', color: '#0e7490' },
  { id: 'outbound', label: 'Outgoing calls', color: '#1d4ed8' },
  { id: 'numbers', label: 'Phone numbers', color: '#7c3aed' },
  { id: 'storage', label: 'Recording storage', color: '#b45309' },
]

/** shortDay shows 2026-03-02 as "2 Mar", read as a calendar day (not an instant, which a time zone would shift). */
function shortDay(d: string): string {
  const [y, m, day] = d.split('-').map(Number)
  return new Date(y, m - 1, day).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
}

function UsagePanel({ api }: { api: Api }) {
  const [period, setPeriod] = useState<Period>('this_month')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const usage = useUsage(api, period, from, to)
  const u = usage.data
  const badRange = period === 'custom' && !!from && !!to && to < from
  const daily = (u?.daily ?? []).map((d) => ({ date: d.date, bought: chartValue(d.bought), used: chartValue(d.used) }))
  const byCategory = categories.map((c) => ({ name: c.label, value: chartValue(u?.by_category?.[c.id]), credits: u?.by_category?.[c.id] ?? '0', color: c.color }))
  const waitingCustom = period === 'custom' && (!from || !to)
  return (
    <section className="panel usage" aria-labelledby="usage-title">
      <header className="panel-head">
        <h2 id="usage-title">Credit usage</h2>
        <div className="filters compact">
          <div className="filter">
            <label htmlFor="usage-period">Period</label>
            <select id="usage-period" value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
              {periods.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          {period === 'custom' && (
            <>
              <div className={'filter' + (badRange ? ' invalid' : '')}>
                <label htmlFor="usage-from">From</label>
                <input id="usage-from" type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
              </div>
              <div className={'filter' + (badRange ? ' invalid' : '')}>
                <label htmlFor="usage-to">To</label>
                <input id="usage-to" type="date" value={to} min={from || undefined} aria-invalid={badRange} onChange={(e) => setTo(e.target.value)} />
              </div>
            </>
          )}
        </div>
      </header>
      {badRange && <Notice kind="error">The “To” date is before the “From” date.</Notice>}
      {waitingCustom && <p className="muted">Choose the first and the last day of the range.</p>}
      {usage.error && (
        <Notice kind="error" action={<button onClick={() => usage.refetch()}>Try again</button>}>
          The usage could not be loaded: {message(usage.error)}
        </Notice>
      )}
      {!u && usage.isFetching && <Loading what="the usage" />}
      {u && !waitingCustom && !badRange && (
        <div className={'usage-body' + (usage.isFetching ? ' stale' : '')} data-period={u.period} aria-busy={usage.isFetching}>
          <div className="totals">
            <p>
              <span className="muted">Bought</span>
              <strong data-total="bought" data-credits={u.bought}>
                {money(u.bought)}
              </strong>
              {u.currency !== 'USD' && <span className="muted local">≈ {money(u.bought_local)} {u.currency}</span>}
            </p>
            <p>
              <span className="muted">Used</span>
              <strong data-total="used" data-credits={u.used}>
                {money(u.used)}
              </strong>
              {u.currency !== 'USD' && <span className="muted local">≈ {money(u.used_local)} {u.currency}</span>}
            </p>
            <p className="muted range">
              {shortDay(u.daily?.[0]?.date ?? '')} – {shortDay(u.daily?.[(u.daily?.length ?? 1) - 1]?.date ?? '')}
            </p>
          </div>
          <div className="charts">
            <figure className="chart daily" aria-label={`Credits bought and used per day: ${money(u.bought)} bought, ${money(u.used)} used`}>
              <figcaption>Bought and used per day</figcaption>
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={daily} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="date" tickFormatter={shortDay} fontSize={12} minTickGap={12} />
                  <YAxis fontSize={12} allowDecimals={false} />
                  <Tooltip labelFormatter={(d) => shortDay(String(d))} formatter={(v, n) => [money(String(v)), n === 'bought' ? 'Bought' : 'Used']} />
                  <Legend formatter={(n) => (n === 'bought' ? 'Bought' : 'Used')} />
                  <Bar dataKey="bought" fill="#047857" radius={[3, 3, 0, 0]} isAnimationActive={false} />
                  <Bar dataKey="used" fill="#1d4ed8" radius={[3, 3, 0, 0]} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <figure className="chart categories" aria-label="Credits used by category">
              <figcaption>Used by category</figcaption>
              <ResponsiveContainer width="100%" height={160}>
                <BarChart data={byCategory} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
                  <XAxis type="number" hide />
                  <YAxis type="category" dataKey="name" width={120} fontSize={12} />
                  <Tooltip formatter={(_v, _n, item) => [money(item.payload.credits), 'Credits']} />
                  <Bar dataKey="value" isAnimationActive={false} radius={[0, 3, 3, 0]}>
                    {byCategory.map((c) => (
                      <Cell key={c.name} fill={c.color} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
              <ul className="legend">
                {byCategory.map((c) => (
                  <li key={c.name}>
                    <span className="swatch" style={{ background: c.color }} aria-hidden="true" />
                    {c.name}: <strong>{money(c.credits)}</strong>
                  </li>
                ))}
              </ul>
            </figure>
          </div>
        </div>
      )}
    </section>
  )
}

function PurchasesPanel({ api }: { api: Api }) {
  const purchases = usePurchases(api)
  const list = purchases.data
  return (
    <section className="panel history" aria-labelledby="purchases-title">
      <header className="panel-head">
        <h2 id="purchases-title">Purchase history</h2>
      </header>
      {purchases.error && (
        <Notice kind="error" action={<button onClick={() => purchases.refetch()}>Try again</button>}>
          The purchases could not be loaded: {message(purchases.error)}
        </Notice>
      )}
      {!list && !purchases.error && <Loading what="the purchases" />}
      {list && list.length === 0 && <Empty title="No purchases yet">Credits you buy, by hand or by auto-recharge, are listed here with their invoice.</Empty>}
      {list && list.length > 0 && (
        <table className="list" aria-label="Purchase history">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Bought by</th>
              <th scope="col">Credits</th>
              <th scope="col">Price</th>
              <th scope="col">Invoice</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id} data-purchase={p.id}>
                <td data-label="Date">{new Date(p.created_at).toLocaleString()}</td>
                <td data-label="Bought by">
                  {p.bought_by}
                  {p.automatic && <span className="sub">Auto-recharge</span>}
                </td>
                <td data-label="Credits" className="num">
                  {money(p.credits)}
                </td>
                <td data-label="Price" className="num">
                  {money(p.price)} {p.currency}
                </td>
                <td data-label="Invoice">
                  {p.status === 'paid' ? p.reference || <span className="muted">—</span> : <span className={'pay-status ' + p.status}>{p.status === 'failed' ? 'Failed' : 'Pending'}</span>}
                  {p.reason && <span className="sub">{p.reason}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

const planNames: Record<string, string> = { free: 'Free', '50k': '50,000 minutes', '200k': '200,000 minutes', '1m': '1,000,000 minutes' }
function planLabel(name: string): string {
  return planNames[name] ?? name
}
function minutes(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function StoragePanel({ api, onChange }: { api: Api; onChange: () => void }) {
  const storage = useStorage(api)
  const autoDelete = useSetAutoDelete(api)
  const st = storage.data
  const used = st ? Math.min(st.used_minutes, st.quota_minutes) : 0
  const pct = st && st.quota_minutes ? Math.min(100, (st.used_minutes / st.quota_minutes) * 100) : 0
  const full = !!st && st.used_minutes >= st.quota_minutes
  return (
    <section className="panel storage" aria-labelledby="storage-title">
      <header className="panel-head">
        <h2 id="storage-title">Recording storage</h2>
      </header>
      {storage.error && (
        <Notice kind="error" action={<button onClick={() => storage.refetch()}>Try again</button>}>
          Storage could not be loaded: {message(storage.error)}
        </Notice>
      )}
      {!st && !storage.error && <Loading what="recording storage" />}
      {st && (
        <>
          <div className="storage-use">
            <figure
              className="donut"
              role="img"
              aria-label={`${minutes(st.used_minutes)} of ${minutes(st.quota_minutes)} recorded minutes used (${pct.toFixed(0)}%)`}
            >
              <ResponsiveContainer width="100%" height={130}>
                <PieChart>
                  <Pie
                    data={[
                      { name: 'Used', value: used },
                      { name: 'Free', value: Math.max(0, st.quota_minutes - used) },
                    ]}
                    dataKey="value"
                    innerRadius={42}
                    outerRadius={60}
                    startAngle={90}
                    endAngle={-270}
                    isAnimationActive={false}
                    stroke="none"
                  >
                    <Cell fill={full ? '#b91c1c' : '#1d4ed8'} />
                    <Cell fill="#e5e7eb" />
                  </Pie>
                </PieChart>
              </ResponsiveContainer>
              <span className="donut-label" aria-hidden="true">
                {pct < 1 && pct > 0 ? '<1' : pct.toFixed(0)}%
              </span>
            </figure>
            <div>
              <p className="storage-plan" data-plan={st.plan}>
                <strong>{planLabel(st.plan)}</strong> plan
              </p>
              <p>
                {minutes(st.used_minutes)} of {minutes(st.quota_minutes)} minutes used
              </p>
              {full && <p className="field-error">Storage is full: new recordings are not kept. Change the plan to keep recording.</p>}
              <button onClick={onChange}>Change plan</button>
            </div>
          </div>
          <div className="field inline">
            <label htmlFor="auto-delete">Delete recordings automatically</label>
            <select
              id="auto-delete"
              value={st.auto_delete_months}
              disabled={autoDelete.isPending}
              onChange={(e) => autoDelete.mutate(Number(e.target.value) as 0 | 3 | 6)}
            >
              <option value={0}>Never: keep every recording</option>
              <option value={3}>3 months after the recording date</option>
              <option value={6}>6 months after the recording date</option>
            </select>
            {autoDelete.isSuccess && (
              <p className="hint" role="status">
                Saved.
              </p>
            )}
            {autoDelete.error && <p className="field-error">{message(autoDelete.error)}</p>}
          </div>
        </>
      )}
    </section>
  )
}

function StoragePlanDialog(props: { api: Api; wallet?: Wallet; onClose: () => void; onBought: (plan: string) => void; onBuyCredits: () => void }) {
  const storage = useStorage(props.api)
  const st = storage.data
  const [choice, setChoice] = useState('')
  const [offer, setOffer] = useState<Offer | null>(null)
  const quote = useStoragePlanQuote(props.api)
  const buy = useBuyStoragePlan(props.api)
  const chosen = choice || st?.plan || ''
  const plan: StoragePlan | undefined = st?.plans?.find((p) => p.name === (offer?.ref ?? chosen))

  const review = async (e: React.FormEvent) => {
    e.preventDefault()
    try {
      setOffer(await quote.mutateAsync(chosen))
    } catch {
      // shown from quote.error
    }
  }
  const confirm = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!offer) return
    try {
      await buy.mutateAsync(offer.id)
      props.onBought(offer.ref)
    } catch {
      // shown from buy.error
    }
  }
  const noCredit = buy.error instanceof ApiError && buy.error.status === 402

  return (
    <Dialog title={offer ? 'Review the storage plan' : 'Change the storage plan'} onClose={props.onClose}>
      {!st && <Loading what="the plans" />}
      {st && !offer && (
        <form onSubmit={review}>
          <div className="dialog-body">
            <fieldset className="options plans">
              <legend>Plan</legend>
              {st.plans.map((p) => (
                <label key={p.name} className={'plan-option' + (chosen === p.name ? ' on' : '')}>
                  <input type="radio" name="plan" value={p.name} checked={chosen === p.name} onChange={() => setChoice(p.name)} />
                  <span>
                    <strong>{minutes(p.minutes)} minutes</strong>
                    {p.name === st.plan && <span className="tag current">Current</span>}
                  </span>
                  <span className="plan-price">{p.monthly_price === '0' ? 'Free' : `${money(p.monthly_price)} credits / month`}</span>
                </label>
              ))}
            </fieldset>
          </div>
          {quote.error && <Notice kind="error">{message(quote.error)}</Notice>}
          <footer className="dialog-foot">
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={chosen === st.plan || quote.isPending}>
              {quote.isPending ? 'Pricing…' : 'Review'}
            </button>
          </footer>
        </form>
      )}
      {offer && (
        <form onSubmit={confirm}>
          <div className="dialog-body">
            <dl className="summary" aria-label="Summary">
              <dt>New plan</dt>
              <dd>{plan ? `${minutes(plan.minutes)} recorded minutes` : planLabel(offer.ref)}</dd>
              <dt>Monthly price</dt>
              <dd data-monthly={offer.monthly_price}>{money(offer.monthly_price)} credits / month</dd>
              <dt>Charged now</dt>
              <dd data-first-charge={offer.first_charge}>{money(offer.first_charge)} credits (the first month)</dd>
              {props.wallet && (
                <>
                  <dt>Available credits</dt>
                  <dd>{money(props.wallet.balance)}</dd>
                </>
              )}
            </dl>
            <p className="hint">After this month the plan is charged on the billing day each month, until you change it.</p>
          </div>
          {noCredit && (
            <Notice kind="error" action={<button type="button" onClick={props.onBuyCredits}>Buy credits</button>}>
              Not enough credits: the first month costs {money(offer.first_charge)} credits
              {props.wallet ? ` and ${money(props.wallet.balance)} are available` : ''}. Buy credits, then try again. Your plan has not changed.
            </Notice>
          )}
          {buy.error && !noCredit && <Notice kind="error">{message(buy.error)}</Notice>}
          <footer className="dialog-foot">
            <button type="button" onClick={() => (buy.reset(), setOffer(null))}>
              Back
            </button>
            <button type="submit" className="primary" disabled={buy.isPending}>
              {buy.isPending ? 'Buying…' : `Buy for ${money(offer.first_charge)} credits`}
            </button>
          </footer>
        </form>
      )}
    </Dialog>
  )
}
