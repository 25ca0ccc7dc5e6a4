// Phone users, phone groups, who is registered, and the uploaded audio
// files, as TanStack Query hooks: a change invalidates what it touched, so
// every page that shows it reads it again.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { Api, GroupInput, UserInput } from './api'

// Programs change these through the API too: a page that opens reads them
// again (showing what it had meanwhile), rather than trusting the cache.
const fresh = { staleTime: 0 }

export const peopleKeys = {
  users: ['users'] as const,
  usersIn: (groupId: number) => ['users', groupId] as const,
  groups: ['groups'] as const,
  registrations: ['registrations'] as const,
  media: ['media'] as const,
}

/** useUsers lists the phone users, only a group's members when groupId is set. */
export function useUsers(api: Api, groupId = 0) {
  return useQuery({ ...fresh, queryKey: peopleKeys.usersIn(groupId), queryFn: () => api.users(groupId || undefined) })
}

export function useGroups(api: Api) {
  return useQuery({ ...fresh, queryKey: peopleKeys.groups, queryFn: () => api.groups() })
}

export function useRegistrations(api: Api) {
  return useQuery({ ...fresh, queryKey: peopleKeys.registrations, queryFn: () => api.registrations(), retry: false })
}

export function useMediaFiles(api: Api) {
  return useQuery({ ...fresh, queryKey: peopleKeys.media, queryFn: () => api.mediaFiles() })
}

/** A user belongs to groups and a group has members: a change to one is a change to both lists. */
function useInvalidatePeople() {
  const qc = useQueryClient()
  return () => Promise.all([qc.invalidateQueries({ queryKey: peopleKeys.users }), qc.invalidateQueries({ queryKey: peopleKeys.groups })])
}

export function useSaveUser(api: Api) {
  const done = useInvalidatePeople()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: UserInput }) => (id ? api.updateUser(id, input) : api.createUser(input)),
    onSuccess: done,
  })
}

export function useDeleteUser(api: Api) {
  const done = useInvalidatePeople()
  return useMutation({ mutationFn: (id: number) => api.deleteUser(id), onSuccess: done })
}

export function useSaveGroup(api: Api) {
  const done = useInvalidatePeople()
  return useMutation({
    mutationFn: ({ id, input }: { id?: number; input: GroupInput }) => (id ? api.updateGroup(id, input) : api.createGroup(input)),
    onSuccess: done,
  })
}

export function useDeleteGroup(api: Api) {
  const done = useInvalidatePeople()
  return useMutation({ mutationFn: (id: number) => api.deleteGroup(id), onSuccess: done })
}

export function useUploadMedia(api: Api) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ file, name }: { file: File; name: string }) => api.uploadMedia(file, name),
    onSuccess: () => qc.invalidateQueries({ queryKey: peopleKeys.media }),
  })
}

export function useDeleteMedia(api: Api) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (id: number) => api.deleteMedia(id), onSuccess: () => qc.invalidateQueries({ queryKey: peopleKeys.media }) })
}
