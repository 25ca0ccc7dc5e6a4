// The phone users and groups as TanStack Query hooks: pages that only name
// them (the call history's owners, the live view's queues) share one cached
// answer instead of each asking again.
import { useQuery } from '@tanstack/react-query'
import type { Api, Group, User } from './api'

export const directoryKeys = { users: ['users'] as const, groups: ['groups'] as const }

/** useUsers lists every phone user; asked again each time a page using it opens, as users come and go. */
export function useUsers(api: Api) {
  return useQuery({
    queryKey: directoryKeys.users,
    queryFn: async ({ signal }) => (await api.request<{ users: User[] }>('GET', '/users', undefined, signal)).users ?? [],
    staleTime: 0,
  })
}

/** useGroups lists every phone group. */
export function useGroups(api: Api) {
  return useQuery({
    queryKey: directoryKeys.groups,
    queryFn: async ({ signal }) => (await api.request<{ groups: Group[] }>('GET', '/groups', undefined, signal)).groups ?? [],
    staleTime: 0,
  })
}
