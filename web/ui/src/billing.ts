// The billing API (wallet, usage, storage, notifications) as TanStack Query
// hooks over the types generated from web/openapi.json. Money arrives as
// decimal strings and stays one: it is formatted for display, never parsed
// into a float to compute with.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { Api } from './api'
import type { components } from './openapi'

type Schema = components['schemas']
/**
 * Sent is a schema as the server sends it: the document lists few response
 * properties as required, but the server writes every one it documents
 * (only Purchase.reason may be left out, when empty).
 */
export type Sent<T> = T extends (infer U)[] ? Sent<U>[] : T extends object ? { [K in keyof T]-?: Sent<Exclude<T[K], undefined>> } : T
export type Wallet = Sent<Schema['Wallet']>
export type AutoRecharge = Schema['AutoRecharge']
export type Quote = Sent<Schema['Quote']>
export type Purchase = Sent<Schema['Purchase']>
export type Usage = Sent<Schema['Usage']>
export type Storage = Sent<Schema['Storage']>
export type StoragePlan = Sent<Schema['StoragePlan']>
export type Offer = Sent<Schema['Offer']>
export type Notification = Sent<Schema['Notification']>
export type Period = 'this_week' | 'last_week' | 'this_month' | 'last_month' | 'this_quarter' | 'last_quarter' | 'custom'

/** keys name each cached answer, so a change invalidates exactly what it touched. */
export const keys = {
  wallet: ['wallet'] as const,
  purchases: ['wallet', 'purchases'] as const,
  usage: (period: Period, from = '', to = '') => ['wallet', 'usage', period, from, to] as const,
  quote: (credits: string) => ['wallet', 'quote', credits] as const,
  storage: ['storage'] as const,
  notifications: ['notifications'] as const,
}

export function useWallet(api: Api) {
  return useQuery({
    queryKey: keys.wallet,
    queryFn: ({ signal }) => api.request<Wallet>('GET', '/wallet', undefined, signal),
    // Calls spend credits while the app is open: the header's balance follows within a minute.
    refetchInterval: 60_000,
  })
}

export function usePurchases(api: Api) {
  return useQuery({
    queryKey: keys.purchases,
    queryFn: async ({ signal }) => (await api.request<{ purchases: Purchase[] }>('GET', '/wallet/purchases', undefined, signal)).purchases ?? [],
  })
}

/** useUsage asks for a period; a custom one waits for both dates. A new period cancels the request for the last. */
export function useUsage(api: Api, period: Period, from: string, to: string) {
  const custom = period === 'custom'
  return useQuery({
    queryKey: custom ? keys.usage(period, from, to) : keys.usage(period),
    enabled: !custom || (!!from && !!to && from <= to),
    queryFn: ({ signal }) => {
      const q = new URLSearchParams({ period })
      if (custom) {
        q.set('from', from)
        q.set('to', to)
      }
      return api.request<Usage>('GET', '/wallet/usage?' + q, undefined, signal)
    },
    placeholderData: (prev) => prev,
  })
}

/** useQuote prices credits while the admin types; each new amount cancels the quote asked for the last. */
export function useQuote(api: Api, credits: string) {
  return useQuery({
    queryKey: keys.quote(credits),
    enabled: isAmount(credits),
    queryFn: ({ signal }) => api.request<Quote>('POST', '/wallet/quotes', { credits }, signal),
    // A quote is good for 15 minutes; ask again after 10 rather than pay a stale one.
    staleTime: 10 * 60_000,
    retry: false,
  })
}

export function useBuyCredits(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (quoteId: number) => api.request<Purchase>('POST', '/wallet/purchases', { quote_id: quoteId }),
    onSettled: () => {
      // Buying a quote again returns its first purchase: the next purchase needs a new quote.
      qc.removeQueries({ queryKey: ['wallet', 'quote'] })
      qc.invalidateQueries({ queryKey: ['wallet'] })
    },
  })
}

export function useSetAutoRecharge(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (a: AutoRecharge) => api.request<AutoRecharge>('PUT', '/wallet/auto-recharge', a),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.wallet, exact: true }),
  })
}

export function useStorage(api: Api) {
  return useQuery({ queryKey: keys.storage, queryFn: ({ signal }) => api.request<Storage>('GET', '/storage', undefined, signal) })
}

export function useSetAutoDelete(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (months: 0 | 3 | 6) => api.request<Storage>('PUT', '/storage', { auto_delete_months: months }),
    onSuccess: (st) => qc.setQueryData(keys.storage, st),
  })
}

/** useChangeStoragePlan quotes the plan, then buys the quote: two steps, so the summary shows the server's price. */
export function useStoragePlanQuote(api: Api) {
  return useMutation({ mutationFn: (plan: string) => api.request<Offer>('POST', '/storage/quotes', { plan }) })
}

export function useBuyStoragePlan(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (offerId: number) => api.request<Storage>('POST', '/storage/purchases', { offer_id: offerId }),
    onSuccess: (st) => qc.setQueryData(keys.storage, st),
    // Paid or refused, the balance, the usage and the notifications may have moved;
    // a charge that crossed the minimum balance notifies and auto-recharges in the
    // server's background, so look again a moment later too.
    onSettled: () => {
      const refresh = () => {
        qc.invalidateQueries({ queryKey: ['wallet'] })
        qc.invalidateQueries({ queryKey: keys.notifications })
      }
      refresh()
      setTimeout(refresh, 1500)
    },
  })
}

export function useNotifications(api: Api) {
  return useQuery({
    queryKey: keys.notifications,
    queryFn: ({ signal }) => api.request<{ notifications: Notification[]; unread: number }>('GET', '/notifications', undefined, signal),
    // One request for the whole list, while the app is open: new ones show within a minute.
    refetchInterval: 60_000,
  })
}

export function useNotificationAction(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'read' | 'dismiss' }) =>
      action === 'read' ? api.request('POST', `/notifications/${id}/read`) : api.request('DELETE', `/notifications/${id}`),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.notifications }),
  })
}

/** isAmount says whether s is a positive decimal the API takes as credits (at most 6 decimals). */
export function isAmount(s: string): boolean {
  return /^\d+(\.\d{1,6})?$/.test(s) && /[1-9]/.test(s)
}

/** group puts thousands separators into a string of digits. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * money formats a decimal string for display with at least two decimals
 * and grouped thousands ("1234.5" -> "1,234.50"), keeping every digit the
 * API sent: it never goes through a float.
 */
export function money(s: string | undefined): string {
  if (s === undefined || s === '') return '—'
  const neg = s.startsWith('-')
  const [whole, frac = ''] = (neg ? s.slice(1) : s).split('.')
  return (neg ? '−' : '') + group(whole.replace(/^0+(?=\d)/, '') || '0') + '.' + frac.padEnd(2, '0')
}

/** chartValue reads a decimal string as a number for a chart to plot; nothing is computed with it. */
export function chartValue(s: string | undefined): number {
  return s ? Number(s) : 0
}
