// Phone numbers and carrier trunks as TanStack Query hooks over the types
// generated from web/openapi.json.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { Api } from './api'
import type { Sent } from './billing'
import type { components } from './openapi'

type Schema = components['schemas']
export type OwnedNumber = Sent<Schema['ListedNumber']>
export type NumberType = OwnedNumber['type']
export type AvailableNumber = Sent<Schema['AvailableNumber']>
export type Offer = Sent<Schema['Offer']>
export type Trunk = Sent<Schema['Trunk']>
export type TrunkInput = Schema['TrunkInput']
export type Flow = Sent<Schema['Flow']>

// Programs change these through the API too: a page that opens reads them
// again (showing what it had meanwhile), rather than trusting the cache.
const fresh = { staleTime: 0 }

export const numberKeys = {
  owned: ['numbers'] as const,
  available: (country: string, type: string, region: string) => ['numbers', 'available', country, type, region] as const,
  trunks: ['trunks'] as const,
  flows: ['flows'] as const,
}

export const typeLabels: Record<NumberType, string> = { local: 'Local', mobile: 'Mobile', toll_free: 'Toll-free' }

const regionNames = new Intl.DisplayNames(undefined, { type: 'region' })
/** countryName reads an ISO 3166 code as the country's name in the browser's language. */
export function countryName(code: string): string {
  try {
    return regionNames.of(code) ?? code
  } catch {
    return code
  }
}

/** compareCredits orders two decimal strings of credits exactly, with no float in between. */
export function compareCredits(a: string, b: string): number {
  const [aw, af = ''] = a.split('.')
  const [bw, bf = ''] = b.split('.')
  const w = aw.length - bw.length || aw.localeCompare(bw)
  return w || af.padEnd(6, '0').localeCompare(bf.padEnd(6, '0'))
}

export function useNumbers(api: Api) {
  return useQuery({
    ...fresh,
    queryKey: numberKeys.owned,
    queryFn: async ({ signal }) => (await api.request<{ numbers: OwnedNumber[] }>('GET', '/numbers', undefined, signal)).numbers ?? [],
  })
}

/** useAvailable lists the numbers the trunks offer; empty filters match all. */
export function useAvailable(api: Api, country: string, type: string, region: string, enabled = true) {
  return useQuery({
    queryKey: numberKeys.available(country, type, region),
    enabled,
    queryFn: async ({ signal }) => {
      const q = new URLSearchParams()
      if (country) q.set('country', country)
      if (type) q.set('type', type)
      if (region) q.set('region', region)
      const s = q.toString()
      return (await api.request<{ numbers: AvailableNumber[] }>('GET', '/numbers/available' + (s ? '?' + s : ''), undefined, signal)).numbers ?? []
    },
  })
}

export function useQuoteNumber(api: Api) {
  return useMutation({ mutationFn: (q: { e164: string; address: string }) => api.request<Offer>('POST', '/numbers/quotes', q) })
}

export function useBuyNumber(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (offerId: number) => api.request<{ number: OwnedNumber }>('POST', '/numbers/purchases', { offer_id: offerId }),
    // Bought or refused, the balance may have moved, and the number left the inventory.
    onSettled: () => {
      qc.invalidateQueries({ queryKey: numberKeys.owned })
      qc.invalidateQueries({ queryKey: ['wallet'] })
    },
  })
}

export function useDeleteNumber(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.request<void>('DELETE', `/numbers/${id}`),
    // The number goes back to the inventory, and off its flow.
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: numberKeys.owned })
      qc.invalidateQueries({ queryKey: numberKeys.flows })
    },
  })
}

/** useSetNumberFlow links a number to a flow, or unlinks it with null. */
export function useSetNumberFlow(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, flowId }: { id: number; flowId: number | null }) => api.request<OwnedNumber>('PATCH', `/numbers/${id}`, { flow_id: flowId }),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: numberKeys.owned })
      qc.invalidateQueries({ queryKey: numberKeys.flows })
    },
  })
}

export function useFlows(api: Api) {
  return useQuery({
    ...fresh,
    queryKey: numberKeys.flows,
    queryFn: async ({ signal }) => (await api.request<{ flows: Flow[] }>('GET', '/flows', undefined, signal)).flows ?? [],
  })
}

/**
 * useTrunks lists the trunks; while one registers to its carrier the list
 * is read again every few seconds, so its state stays live (one request
 * for the whole list, never one per row).
 */
export function useTrunks(api: Api, live = false) {
  return useQuery({
    ...fresh,
    queryKey: numberKeys.trunks,
    queryFn: async ({ signal }) => (await api.request<{ trunks: Trunk[] }>('GET', '/trunks', undefined, signal)).trunks ?? [],
    refetchInterval: (q) => (live && q.state.data?.some((t) => t.register && t.enabled) ? 5000 : false),
  })
}

export function useSaveTrunk(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: TrunkInput }) =>
      id ? api.request<Trunk>('PATCH', `/trunks/${id}`, input) : api.request<Trunk>('POST', '/trunks', input),
    onSuccess: () => qc.invalidateQueries({ queryKey: numberKeys.trunks }),
  })
}

export function useDeleteTrunk(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.request<void>('DELETE', `/trunks/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: numberKeys.trunks }),
  })
}
