// The balance in the header of every page: credits are spent by every call,
// so the admin sees them wherever they are (the Plan details page explains them).
import type { Api } from './api'
import { money, useWallet } from './billing'
import { Link } from 'react-router'

export function Balance({ api }: { api: Api }) {
  const { data: w } = useWallet(api)
  if (!w) return null
  const full = money(w.balance)
  // A phone's header has room for two decimals (calls are metered finer); screen readers get every digit.
  const short = full.replace(/(\.\d{2})\d+$/, '$1')
  return (
    <Link className="balance-chip" to="/telephony/plan" title="Plan details">
      <span className="sr-only">Balance: {full} credits</span>
      <span className="balance-full" aria-hidden="true">
        {full}
      </span>
      <span className="balance-short" aria-hidden="true">
        {short}
      </span>{' '}
      <span className="unit" aria-hidden="true">
        credits
      </span>
    </Link>
  )
}
