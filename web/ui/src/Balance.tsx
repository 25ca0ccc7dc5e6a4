// The balance in the header of every page: credits are spent by every call,
// so the admin sees them wherever they are (the Plan details page explains them).
import type { Api } from './api'
import { money, useWallet } from './billing'
import { Link } from 'react-router'

export function Balance({ api }: { api: Api }) {
  const { data: w } = useWallet(api)
  if (!w) return null
  return (
    <Link className="balance-chip" to="/telephony/plan" title="Plan details">
      <span className="sr-only">Balance: </span>
      {money(w.balance)} <span className="unit">credits</span>
    </Link>
  )
}
