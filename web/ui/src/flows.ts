// The call flows API (list, draft, publish, enable, simulate) as TanStack
// Query hooks over the types generated from web/openapi.json, and the rules
// the builder enforces while the admin draws. The server is the authority:
// it checks every rule again when a draft is saved or published, and the
// simulator steps a call with the engine's own logic.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { Api, Group, MediaFile, User } from './api'
import type { components } from './openapi'

type Schema = components['schemas']
export type Flow = Schema['Flow'] & { id: number; name: string; draft: FlowDocument; published: FlowDocument | null }
export type FlowDocument = Required<Pick<Schema['FlowDocument'], 'name' | 'description' | 'numbers' | 'states' | 'connections'>>
export type FlowState = Schema['FlowState']
export type StateType = FlowState['type']
export type Connection = Schema['FlowConnection']
export type Prompt = Schema['Prompt']
export type SimStep = Schema['SimStep']
export type PhoneNumber = Schema['Number'] & { id: number; e164: string }
export type Violation = { field: string; message: string }

export const flowKeys = {
  all: ['flows'] as const,
  one: (id: number) => ['flows', id] as const,
  numbers: ['numbers'] as const,
  directory: ['flows', 'directory'] as const,
}

export function useFlows(api: Api) {
  return useQuery({
    queryKey: flowKeys.all,
    queryFn: async ({ signal }) => (await api.request<{ flows: Flow[] }>('GET', '/flows', undefined, signal)).flows ?? [],
  })
}

export function useFlow(api: Api, id: number) {
  return useQuery({
    queryKey: flowKeys.one(id),
    queryFn: ({ signal }) => api.request<Flow>('GET', `/flows/${id}`, undefined, signal),
    // The builder holds the admin's edits; a refetch on focus must not look like a change under them.
    refetchOnWindowFocus: false,
  })
}

export function useNumbers(api: Api) {
  return useQuery({
    queryKey: flowKeys.numbers,
    queryFn: async ({ signal }) => (await api.request<{ numbers: PhoneNumber[] }>('GET', '/numbers', undefined, signal)).numbers ?? [],
  })
}

/** useDirectory loads what a state's options choose from: users, groups and uploaded audio files. */
export function useDirectory(api: Api) {
  return useQuery({
    queryKey: flowKeys.directory,
    queryFn: async ({ signal }) => {
      const [users, groups, media] = await Promise.all([
        api.request<{ users: User[] }>('GET', '/users', undefined, signal),
        api.request<{ groups: Group[] }>('GET', '/groups', undefined, signal),
        api.request<{ media: MediaFile[] }>('GET', '/media', undefined, signal).catch(() => ({ media: [] as MediaFile[] })),
      ])
      return { users: users.users ?? [], groups: groups.groups ?? [], media: media.media ?? [] }
    },
  })
}

export function useCreateFlow(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (doc: FlowDocument) => api.request<Flow>('POST', '/flows', doc),
    onSuccess: () => qc.invalidateQueries({ queryKey: flowKeys.all, exact: true }),
  })
}

export function useSetEnabled(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) => api.request<Flow>('PUT', `/flows/${id}/enable`, { enabled }),
    // The switch moves at once, as a switch does; a refusal puts it back.
    onMutate: async ({ id, enabled }) => {
      await qc.cancelQueries({ queryKey: flowKeys.all, exact: true })
      const before = qc.getQueryData<Flow[]>(flowKeys.all)
      qc.setQueryData<Flow[]>(flowKeys.all, (list) => list?.map((x) => (x.id === id ? { ...x, enabled } : x)))
      return { before }
    },
    onError: (_e, _v, ctx) => qc.setQueryData(flowKeys.all, ctx?.before),
    onSuccess: (f) => {
      qc.setQueryData<Flow[]>(flowKeys.all, (list) => list?.map((x) => (x.id === f.id ? f : x)))
      qc.setQueryData(flowKeys.one(f.id), f)
    },
  })
}

export function useDeleteFlow(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => api.request<void>('DELETE', `/flows/${id}`),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: flowKeys.all })
      qc.invalidateQueries({ queryKey: flowKeys.numbers })
    },
  })
}

export function useSaveDraft(api: Api, id: number) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (doc: FlowDocument) => api.request<Flow>('PUT', `/flows/${id}`, doc),
    onSuccess: (f) => {
      qc.setQueryData(flowKeys.one(id), f)
      qc.invalidateQueries({ queryKey: flowKeys.all, exact: true })
    },
  })
}

export function usePublish(api: Api, id: number) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api.request<Flow>('POST', `/flows/${id}/publish`),
    onSuccess: (f) => {
      qc.setQueryData(flowKeys.one(id), f)
      qc.invalidateQueries({ queryKey: flowKeys.all, exact: true })
      qc.invalidateQueries({ queryKey: flowKeys.numbers })
    },
  })
}

/** simulate takes one step of a call through the saved draft; the server follows the engine's own transitions. */
export function simulate(api: Api, id: number, step: { state: string; event: string; answered: boolean }) {
  return api.request<SimStep>('POST', `/flows/${id}/simulate`, { version: 'draft', ...step })
}

/** flowStatus says where a flow stands, as the list shows it. */
export function flowStatus(f: Flow): { label: string; kind: 'draft' | 'published' | 'changed' } {
  if (!f.published) return { label: 'Draft only', kind: 'draft' }
  if (f.unpublished_changes) return { label: 'Unpublished changes', kind: 'changed' }
  return { label: `Published (version ${f.published_version})`, kind: 'published' }
}

// ---- The state types and their exits

export const stateTypes: { type: StateType; label: string; hint: string }[] = [
  { type: 'start', label: 'Start', hint: 'Where every call enters the flow' },
  { type: 'ivr', label: 'IVR menu', hint: 'A prompt, then keys 0-9 and * to choose' },
  { type: 'transfer_user', label: 'Transfer to user', hint: 'Rings one phone user' },
  { type: 'transfer_group', label: 'Transfer to group', hint: 'Rings a phone group' },
  { type: 'announce', label: 'Announce', hint: 'Plays a message, then goes on' },
  { type: 'voicemail', label: 'Voicemail', hint: 'The caller leaves a message' },
]

export const typeLabel = (t: StateType) => stateTypes.find((s) => s.type === t)?.label ?? t

/** menuKeys are the IVR keys in the order a caller reads them on a phone menu. */
export const menuKeys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*']
export const maxMenuKeys = menuKeys.length
export const maxIncoming = 10

/** exitsOf lists the exits a state of this type leaves by; an IVR's keys are the ones it has. */
export function exitsOf(type: StateType, keys: string[] = []): string[] {
  switch (type) {
    case 'start':
    case 'announce':
      return ['next']
    case 'transfer_user':
    case 'transfer_group':
      return ['timeout', 'unavailable', 'busy']
    case 'ivr':
      return [...keys, 'timeout']
    case 'voicemail':
      return ['timeout']
  }
  return []
}

export function exitLabel(outcome: string): string {
  if (/^[0-9*]$/.test(outcome)) return `Key ${outcome}`
  return outcome.charAt(0).toUpperCase() + outcome.slice(1)
}

/** newStateId makes an id the server accepts (lowercase letters, digits, - and _), unused in ids. */
export function newStateId(type: StateType, ids: Set<string>): string {
  const base = type === 'transfer_user' ? 'user' : type === 'transfer_group' ? 'group' : type === 'voicemail' ? 'voicemail' : type
  if (!ids.has(base)) return base
  for (let i = 2; ; i++) if (!ids.has(`${base}-${i}`)) return `${base}-${i}`
}

// ---- The connection rules, checked while the admin draws

export interface Link {
  from: string
  outcome: string
  to: string
}

/**
 * refusal says why the builder will not draw a connection, or '' when it
 * may: the start state leads to exactly one state, nothing leads into the
 * start, an exit leads to one state, a state accepts at most 10
 * connections, and no state leads back to itself.
 */
export function refusal(link: Link, links: Link[], typeOf: (id: string) => StateType | undefined): string {
  const { from, outcome, to } = link
  if (typeOf(to) === 'start') return 'Nothing can lead into Start: calls enter the flow there.'
  if (from === to) return `${from} cannot lead to itself: a flow has no loops.`
  const taken = links.find((l) => l.from === from && l.outcome === outcome)
  if (taken) {
    if (typeOf(from) === 'start') return `Start leads to exactly one state, and it already leads to ${taken.to}. Delete that connection first.`
    return `${exitLabel(outcome)} of ${from} already leads to ${taken.to}. Delete that connection first.`
  }
  if (links.filter((l) => l.to === to).length >= maxIncoming) return `${to} already has ${maxIncoming} incoming connections, the most a state accepts.`
  const path = pathBetween(to, from, links)
  if (path) return `That would close a loop (${[...path, to].join(' → ')}): a state cannot lead back to one before it.`
  return ''
}

/** pathBetween finds the states a call could go through from a to b, or null. */
function pathBetween(a: string, b: string, links: Link[]): string[] | null {
  const seen = new Set<string>()
  const walk = (at: string, path: string[]): string[] | null => {
    if (at === b) return [...path, at]
    if (seen.has(at)) return null
    seen.add(at)
    for (const l of links) if (l.from === at) {
      const found = walk(l.to, [...path, at])
      if (found) return found
    }
    return null
  }
  return walk(a, [])
}

/** violationsByState sorts the server's 422 fields onto the states they name (by index in the document sent). */
export function violationsByState(fields: Violation[], doc: FlowDocument): { states: Map<string, string[]>; flow: string[] } {
  const states = new Map<string, string[]>()
  const flow: string[] = []
  const add = (id: string, msg: string) => states.set(id, [...(states.get(id) ?? []), msg])
  for (const f of fields) {
    const s = /^states\[(\d+)\](?:\.(.+))?$/.exec(f.field)
    const c = /^connections\[(\d+)\](?:\.(.+))?$/.exec(f.field)
    if (s && doc.states[Number(s[1])]) {
      add(doc.states[Number(s[1])].id, s[2] ? `${optionName(s[2])}: ${f.message}` : f.message)
    } else if (c && doc.connections[Number(c[1])]) {
      const conn = doc.connections[Number(c[1])]
      add(conn.from, `${exitLabel(conn.outcome)} → ${conn.to}: ${f.message}`)
    } else {
      flow.push(f.field === 'states' ? f.message : `${optionName(f.field)}: ${f.message}`)
    }
  }
  return { states, flow }
}

const optionNames: Record<string, string> = {
  user_id: 'User',
  group_id: 'Group',
  ring: 'Ring type',
  ring_seconds: 'Ring time',
  record: 'Record',
  prompt: 'Prompt',
  'prompt.text': 'Prompt text',
  'prompt.url': 'Prompt URL',
  'prompt.file_id': 'Prompt file',
  timeout_seconds: 'Silence timeout',
  max_seconds: 'Longest message',
  'queue.max_calls': 'Queue size',
  'queue.music_repeat': 'Hold music plays',
  'queue.notify': 'Queue notification',
  'queue.music': 'Hold music',
  name: 'Name',
  description: 'Description',
}

function optionName(path: string): string {
  const bare = path.replace(/\[\d+\]/g, '')
  return optionNames[path] ?? optionNames[bare] ?? (bare === 'numbers' ? 'Numbers' : path)
}

/** describePrompt reads a prompt the way the side panel and the comparison name it. */
export function describePrompt(p: Prompt | undefined, media: MediaFile[] = []): string {
  if (!p) return 'no prompt yet'
  if (p.text) return `“${p.text}”`
  if (p.file_id) return `file ${media.find((m) => m.id === p.file_id)?.name ?? '#' + p.file_id}`
  if (p.url) return p.url
  return 'no prompt yet'
}
