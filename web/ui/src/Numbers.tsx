// Phone numbers: the numbers the company owns, what each costs a month and
// which call flow answers it; buying one from what the carrier trunks offer;
// deleting one, which stops its monthly charge.
import { useState } from 'react'
import { Link } from 'react-router'
import { useForm } from 'react-hook-form'
import { ApiError, message, type Api } from './api'
import { money, useWallet } from './billing'
import {
  compareCredits,
  countryName,
  typeLabels,
  useAvailable,
  useBuyNumber,
  useDeleteNumber,
  useFlows,
  useNumbers,
  useQuoteNumber,
  useSetNumberFlow,
  type AvailableNumber,
  type Flow,
  type NumberType,
  type Offer,
  type OwnedNumber,
} from './numbers'
import { Confirm, Dialog, Empty, Field, Loaded, Notice, RowActions, Table } from './ui'

export function Numbers({ api }: { api: Api }) {
  const numbers = useNumbers(api)
  const flows = useFlows(api)
  const setFlow = useSetNumberFlow(api)
  const del = useDeleteNumber(api)
  const [buying, setBuying] = useState(false)
  const [deleting, setDeleting] = useState<OwnedNumber | null>(null)
  const [done, setDone] = useState('')
  const [flowError, setFlowError] = useState('')

  const changeFlow = async (n: OwnedNumber, flowId: number | null) => {
    setDone('')
    setFlowError('')
    try {
      await setFlow.mutateAsync({ id: n.id, flowId })
      const f = flows.data?.find((x) => x.id === flowId)
      setDone(f ? `${n.e164} is now answered by the call flow ${f.name}.` : `${n.e164} has no call flow: its calls are rejected.`)
    } catch (e) {
      setFlowError(`The call flow of ${n.e164} was not changed: ${message(e)}`)
    }
  }

  const buy = (
    <button className="primary" onClick={() => setBuying(true)}>
      Buy a number
    </button>
  )
  return (
    <div>
      <div className="toolbar">
        <p className="muted">
          Numbers come from your carrier trunks. <Link to="/settings/trunks">Manage SIP trunks</Link>
        </p>
        {buy}
      </div>
      {done && (
        <Notice kind="success" action={<button onClick={() => setDone('')}>Dismiss</button>}>
          {done}
        </Notice>
      )}
      {flowError && <Notice kind="error">{flowError}</Notice>}
      {flows.error && <Notice kind="info">Call flows could not be loaded, so they cannot be chosen now: {message(flows.error)}</Notice>}
      <Loaded query={numbers} what="phone numbers">
        {(list) =>
          list.length === 0 ? (
            <Empty title="No phone numbers yet" action={buy}>
              Buy local, mobile or toll-free numbers from your carriers, then choose the call flow that answers each.
            </Empty>
          ) : (
            <Table
              label="Phone numbers"
              rows={list}
              rowKey={(n) => n.id}
              rowProps={(n) => ({ 'data-number': n.e164 })}
              columns={[
                { label: 'Number', cell: (n) => <strong className="e164">{n.e164}</strong> },
                { label: 'Type', cell: (n) => typeLabels[n.type] ?? n.type },
                { label: 'Country', cell: (n) => countryName(n.country) },
                { label: 'Region', cell: (n) => n.region || (n.address ? <span className="sub">{n.address}</span> : <span className="muted">—</span>) },
                {
                  label: 'Monthly price',
                  className: 'num',
                  cell: (n) => (n.monthly_price === null ? <span className="muted">Not billed here</span> : <span data-monthly={n.monthly_price}>{money(n.monthly_price)} credits</span>),
                },
                { label: 'Call flow', cell: (n) => <FlowSelect number={n} flows={flows.data} busy={setFlow.isPending} onChange={(id) => changeFlow(n, id)} /> },
              ]}
              actions={(n) => <RowActions name={n.e164} onDelete={() => (setDone(''), setDeleting(n))} />}
            />
          )
        }
      </Loaded>
      {buying && (
        <BuyNumber
          api={api}
          onClose={() => setBuying(false)}
          onBought={(n, price) => {
            setBuying(false)
            setDone(`${n.e164} is yours, for ${money(price)} credits a month. Choose the call flow that answers it: until then its calls are rejected.`)
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.e164}?`}
          action="Delete number"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del.mutateAsync(deleting.id)
            setDeleting(null)
            setDone(`${deleting.e164} was deleted.`)
          }}
        >
          {deleting.monthly_price === null ? (
            <p>This number is not billed here, so no charge changes.</p>
          ) : (
            <p className="stops">
              <strong>Its monthly charge of {money(deleting.monthly_price)} credits stops</strong>: it is not charged again. The number goes back to the carrier's
              offer, where it may be bought again.
            </p>
          )}
          <p>Calls to {deleting.e164} are no longer answered. This cannot be undone.</p>
        </Confirm>
      )}
    </div>
  )
}

function FlowSelect(props: { number: OwnedNumber; flows?: Flow[]; busy: boolean; onChange: (flowId: number | null) => void }) {
  const n = props.number
  const current = n.flow_id ?? 0
  // A flow not in the list (still loading, or failed) still shows as chosen.
  const known = props.flows ?? []
  return (
    <div className="flow-select">
      <select
        aria-label={`Call flow for ${n.e164}`}
        value={current}
        disabled={props.busy || !props.flows}
        onChange={(e) => props.onChange(Number(e.target.value) || null)}
        aria-describedby={current ? undefined : `noflow-${n.id}`}
      >
        <option value={0}>No call flow</option>
        {current > 0 && !known.some((f) => f.id === current) && <option value={current}>Flow #{current}</option>}
        {known.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
            {f.enabled ? '' : ' (disabled)'}
          </option>
        ))}
      </select>
      {!current && (
        <span className="sub warn" id={`noflow-${n.id}`}>
          Calls to it are rejected
          {props.flows?.length === 0 && (
            <>
              : <Link to="/telephony/flows">create a call flow</Link>
            </>
          )}
        </span>
      )}
    </div>
  )
}

type BuyFields = { country: string; type: NumberType | ''; region: string; address: string; e164: string }
type Step = 'kind' | 'where' | 'number' | 'review'
const stepLabels: Record<Step, string> = { kind: 'Country and type', where: 'Region or address', number: 'Number', review: 'Review' }

/** unique lists the distinct values, sorted. */
function unique(values: string[]): string[] {
  return [...new Set(values)].sort()
}

/**
 * BuyNumber is the wizard: country and type, then the region (local numbers)
 * or the address (numbers whose carrier asks for one), then a number from
 * what is on offer, then a summary priced by the server's quote, then the
 * purchase.
 */
function BuyNumber(props: { api: Api; onClose: () => void; onBought: (n: OwnedNumber, monthly: string) => void }) {
  const form = useForm<BuyFields>({ mode: 'onChange', defaultValues: { country: '', type: '', region: '', address: '', e164: '' } })
  const { register, watch, setValue, setError, formState, trigger } = form
  const [step, setStep] = useState<Step>('kind')
  const [offer, setOffer] = useState<Offer | null>(null)
  const { country, type, region, address, e164 } = watch()
  const all = useAvailable(props.api, '', '', '')
  const inKind = (all.data ?? []).filter((a) => a.country === country && a.type === type)
  const needsRegion = type === 'local'
  const needsAddress = inKind.some((a) => a.address_required)
  const steps: Step[] = ['kind', ...(needsRegion || needsAddress ? (['where'] as const) : []), 'number', 'review']
  const candidates = useAvailable(props.api, country, type, needsRegion ? region : '', step === 'number' || step === 'review')
  const chosen = candidates.data?.find((a) => a.e164 === e164)
  const quote = useQuoteNumber(props.api)
  const buy = useBuyNumber(props.api)
  const wallet = useWallet(props.api)
  const errors = formState.errors

  const countries = unique((all.data ?? []).map((a) => a.country))
  const typesIn = (c: string) => new Set((all.data ?? []).filter((a) => a.country === c).map((a) => a.type))
  const regions = unique(inKind.map((a) => a.region).filter(Boolean))
  const from = (t: NumberType) =>
    (all.data ?? [])
      .filter((a) => a.country === country && a.type === t)
      .map((a) => a.monthly_price)
      .sort(compareCredits)[0]

  const go = (s: Step) => {
    buy.reset()
    setStep(s)
  }
  const next = async () => {
    const at = steps.indexOf(step)
    form.clearErrors('root')
    if (step === 'kind' && !(await trigger(['country', 'type']))) return
    if (step === 'where' && !(await trigger(['region', 'address']))) return
    if (step === 'number') {
      if (!(await trigger('e164'))) return
      try {
        setOffer(await quote.mutateAsync({ e164, address: address.trim() }))
      } catch (e) {
        if (e instanceof ApiError && e.fields.address) {
          setError('address', { message: e.fields.address })
          go('where')
        } else if (e instanceof ApiError && e.fields.e164) setError('e164', { message: e.fields.e164 })
        else setError('root', { message: message(e) })
        return
      }
    }
    go(steps[at + 1])
  }
  const back = () => go(steps[steps.indexOf(step) - 1])
  const pay = async () => {
    if (!offer) return
    try {
      const bought = await buy.mutateAsync(offer.id)
      props.onBought(bought.number, offer.monthly_price)
    } catch {
      // shown from buy.error
    }
  }
  const noCredit = buy.error instanceof ApiError && buy.error.status === 402
  const expired = buy.error instanceof ApiError && !!buy.error.fields.offer_id

  return (
    <Dialog title="Buy a phone number" onClose={props.onClose} wide>
      <form
        className="buy-number"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          if (step === 'review') pay()
          else next()
        }}
      >
        <div className="dialog-body">
          <ol className="steps" aria-label="Steps">
            {steps.map((s, i) => (
              <li key={s} aria-current={s === step ? 'step' : undefined} className={steps.indexOf(step) > i ? 'done' : ''}>
                <span className="pos">{i + 1}</span> {s === 'where' ? (needsRegion ? 'Region' : 'Address') : stepLabels[s]}
              </li>
            ))}
          </ol>
          {step === 'kind' && (
            <Loaded query={all} what="the numbers on offer">
              {(list) =>
                list.length === 0 ? (
                  <Empty title="No numbers on offer">
                    Your carrier trunks offer no numbers to buy yet. Numbers are added to the offer through the API (POST /api/v1/numbers/available).
                  </Empty>
                ) : (
                  <>
                    <Field label="Country" error={errors.country?.message}>
                      {(a) => (
                        <select
                          {...a}
                          {...register('country', {
                            required: 'Choose a country.',
                            onChange: () => {
                              setValue('type', '')
                              setValue('region', '')
                              setValue('e164', '')
                            },
                          })}
                        >
                          <option value="">Choose a country…</option>
                          {countries.map((c) => (
                            <option key={c} value={c}>
                              {countryName(c)}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                    <fieldset className={'options plans' + (errors.type ? ' invalid' : '')} aria-describedby={errors.type ? 'type-error' : undefined}>
                      <legend>Type</legend>
                      {(['local', 'mobile', 'toll_free'] as const).map((t) => {
                        const offered = !!country && typesIn(country).has(t)
                        return (
                          <label key={t} className={'plan-option' + (type === t ? ' on' : '') + (offered ? '' : ' off')}>
                            <input
                              type="radio"
                              value={t}
                              disabled={!offered}
                              {...register('type', {
                                required: 'Choose the type of number.',
                                onChange: () => {
                                  setValue('region', '')
                                  setValue('e164', '')
                                },
                              })}
                            />
                            <span>
                              <strong>{typeLabels[t]}</strong>
                              <span className="sub">
                                {t === 'local' ? 'A number of a city or region' : t === 'mobile' ? 'A mobile number, registered to an address' : 'Free to call for the caller'}
                              </span>
                            </span>
                            <span className="plan-price">{!country ? '' : offered ? `from ${money(from(t))} credits / month` : 'None on offer'}</span>
                          </label>
                        )
                      })}
                      {errors.type && (
                        <p className="field-error" id="type-error">
                          {errors.type.message}
                        </p>
                      )}
                    </fieldset>
                  </>
                )
              }
            </Loaded>
          )}
          {step === 'where' && (
            <>
              {needsRegion && (
                <Field label="Region" error={errors.region?.message} hint={`Where in ${countryName(country)} the number belongs.`}>
                  {(a) => (
                    <select {...a} {...register('region', { validate: (v) => !needsRegion || !!v || 'Choose a region.', onChange: () => setValue('e164', '') })}>
                      <option value="">Choose a region…</option>
                      {regions.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              )}
              {needsAddress && (
                <Field
                  label="Address"
                  error={errors.address?.message}
                  hint={`The carrier registers ${typeLabels[type as NumberType]?.toLowerCase() ?? ''} numbers in ${countryName(country)} to the subscriber's address: street, city and postcode.`}
                >
                  {(a) => <textarea {...a} rows={3} {...register('address', { validate: (v) => !!v.trim() || 'Enter the address the number is registered to.' })} />}
                </Field>
              )}
            </>
          )}
          {step === 'number' && (
            <Loaded query={candidates} what="the numbers on offer">
              {(list) =>
                list.length === 0 ? (
                  <Empty title="None left">Every number of this kind has been bought. Choose another type or region.</Empty>
                ) : (
                  <fieldset className={'options plans pick' + (errors.e164 ? ' invalid' : '')}>
                    <legend>Available numbers</legend>
                    {list.map((a: AvailableNumber) => (
                      <label key={a.e164} className={'plan-option' + (e164 === a.e164 ? ' on' : '')}>
                        <input type="radio" value={a.e164} {...register('e164', { required: 'Choose a number.' })} />
                        <span>
                          <strong className="e164">{a.e164}</strong>
                          {a.region && <span className="sub">{a.region}</span>}
                        </span>
                        <span className="plan-price">{money(a.monthly_price)} credits / month</span>
                      </label>
                    ))}
                    {errors.e164 && <p className="field-error">{errors.e164.message}</p>}
                  </fieldset>
                )
              }
            </Loaded>
          )}
          {step === 'review' && offer && (
            <>
              <dl className="summary" aria-label="Summary">
                <dt>Number</dt>
                <dd className="e164">{offer.ref}</dd>
                <dt>Type</dt>
                <dd>{typeLabels[type as NumberType]}</dd>
                <dt>Country</dt>
                <dd>{countryName(country)}</dd>
                {chosen?.region && (
                  <>
                    <dt>Region</dt>
                    <dd>{chosen.region}</dd>
                  </>
                )}
                {address.trim() && (
                  <>
                    <dt>Address</dt>
                    <dd>{address.trim()}</dd>
                  </>
                )}
                <dt>Monthly price</dt>
                <dd data-monthly={offer.monthly_price}>
                  {money(offer.monthly_price)} credits / month
                  {offer.currency && offer.currency !== 'USD' && (
                    <span className="sub">
                      ≈ {money(offer.monthly_price_local)} {offer.currency}
                    </span>
                  )}
                </dd>
                <dt>Charged now</dt>
                <dd data-first-charge={offer.first_charge}>{money(offer.first_charge)} credits (the first month)</dd>
                {wallet.data && (
                  <>
                    <dt>Available credits</dt>
                    <dd>{money(wallet.data.balance)}</dd>
                  </>
                )}
              </dl>
              <p className="hint">After this month the number is charged on the billing day each month, until you delete it.</p>
            </>
          )}
          {errors.root && <Notice kind="error">{errors.root.message}</Notice>}
        </div>
        {step === 'review' && noCredit && offer && (
          <Notice kind="error" action={<Link to="/telephony/plan">Buy credits</Link>}>
            Not enough credits: the first month costs {money(offer.first_charge)} credits
            {wallet.data ? ` and ${money(wallet.data.balance)} are available` : ''}. Buy credits, then try again. Nothing was charged.
          </Notice>
        )}
        {step === 'review' && expired && <Notice kind="error">{buy.error instanceof ApiError && buy.error.fields.offer_id}. Go back and choose the number again.</Notice>}
        {step === 'review' && buy.error && !noCredit && !expired && <Notice kind="error">{message(buy.error)}</Notice>}
        <footer className="dialog-foot">
          {step === 'kind' ? (
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
          ) : (
            <button type="button" onClick={back}>
              Back
            </button>
          )}
          {step === 'review' && offer ? (
            <button type="submit" className="primary" disabled={buy.isPending}>
              {buy.isPending ? 'Buying…' : `Buy for ${money(offer.first_charge)} credits`}
            </button>
          ) : (
            <button type="submit" className="primary" disabled={quote.isPending || (step === 'kind' && !all.data?.length)}>
              {quote.isPending ? 'Pricing…' : step === 'number' ? 'Review' : 'Next'}
            </button>
          )}
        </footer>
      </form>
    </Dialog>
  )
}
