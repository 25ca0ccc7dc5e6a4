// The app's only way to the server: the public REST API under /api/v1.

export interface User {
  id: number
  name: string
  extension: string
  sip_username: string
  allow_outbound: boolean
  record_outbound: boolean
  caller_ids: string[] | null
  allow_custom_caller_id: boolean
  group_ids: number[] | null
}

export interface UserInput {
  name?: string
  extension?: string
  sip_username?: string
  sip_password?: string
  allow_outbound?: boolean
  record_outbound?: boolean
  caller_ids?: string[]
  allow_custom_caller_id?: boolean
  group_ids?: number[]
}

export interface Group {
  id: number
  name: string
  description: string
  member_ids: number[] | null
}

export interface GroupInput {
  name: string
  description: string
  member_ids: number[]
}

export interface Registration {
  username: string
  user_id: number
  contact: string
  source: string
  transport: string
  user_agent: string
  nat: boolean
  expires_at: string
  expires_in: number
}

export interface SessionInfo {
  auth: 'session' | 'token'
  csrf_token?: string
  expires_at?: string
  password_set: boolean
}

export interface APIToken {
  id: number
  name: string
  prefix: string
  created_at: string
  last_used_at: string | null
}

export type CallType = 'incoming' | 'outgoing' | 'missed'

/** CallRecord is one call in the history. */
export interface CallRecord {
  id: number
  call_id: string
  direction: 'inbound' | 'outbound' | 'internal'
  type: CallType
  from: string
  to: string
  number: string
  owner_user_id: number | null
  started_at: string
  answered_at: string | null
  ended_at: string
  duration_seconds: number
  hangup_cause: string
  sip_code: number
  recording_seconds: number
  has_recording: boolean
  voicemail: boolean
  /** credits_charged is what the call cost, a decimal string of credits ("0.06"). */
  credits_charged: string
  /** rate is what the call was charged at ("0.02/min 60/60"); empty for a free call. */
  rate: string
  /** credits_charged_local is the cost in the local currency, when billing is on. */
  credits_charged_local?: string
}

/** CallFilter selects calls: from and to are dates (YYYY-MM-DD) or RFC 3339 date-times; voicemail keeps only the calls with a message. */
export interface CallFilter {
  type?: CallType | ''
  voicemail?: boolean
  owner?: number
  from?: string
  to?: string
}

/** callQuery is the query string for a filter, shared by the list and the CSV download. */
export function callQuery(f: CallFilter, page?: { limit: number; offset: number }): string {
  const q = new URLSearchParams()
  if (f.type) q.set('type', f.type)
  if (f.voicemail) q.set('voicemail', 'true')
  if (f.owner) q.set('owner', String(f.owner))
  if (f.from) q.set('from', f.from)
  if (f.to) q.set('to', f.to)
  if (page) {
    q.set('limit', String(page.limit))
    if (page.offset) q.set('offset', String(page.offset))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

/** MediaFile is an uploaded WAV prompt, described as it was uploaded. */
export interface MediaFile {
  id: number
  name: string
  size_bytes: number
  duration_seconds: number
  sample_rate: number
  channels: number
  bit_depth: number
  created_at: string
}

/** ApiError is a refused request: its status, message and, for 422, the message per field. */
export class ApiError extends Error {
  status: number
  fields: Record<string, string>
  /** body is the answer as sent, for refusals that carry more than a message (a failed purchase). */
  body: unknown
  constructor(status: number, message: string, fields: Record<string, string> = {}, body: unknown = null) {
    super(message)
    this.status = status
    this.fields = fields
    this.body = body
  }
}

/** fieldKey maps an API field such as "caller_ids[1]" to the form input it belongs to. */
export function fieldKey(field: string): string {
  return field.replace(/\[\d+\]$/, '')
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Api calls the REST API with the session cookie and, on writes, the CSRF token. */
export class Api {
  private csrf = ''
  /** onSignedOut is called when the server says the session has ended. */
  onSignedOut: () => void = () => {}

  async request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    // A FormData body sets its own multipart Content-Type, boundary included.
    const form = body instanceof FormData
    if (body !== undefined && !form) headers['Content-Type'] = 'application/json'
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf
    let res: Response
    try {
      res = await fetch('/api/v1' + path, {
        method,
        headers,
        body: body === undefined ? undefined : form ? body : JSON.stringify(body),
        credentials: 'same-origin',
        signal,
      })
    } catch (e) {
      // A cancelled request (TanStack Query aborts what it no longer needs) is no failure to show.
      if (signal?.aborted) throw e
      throw new ApiError(0, 'The server cannot be reached. Check that pbx is running, then try again.')
    }
    if (res.status === 204) return undefined as T
    const data = await res.json().catch(() => null)
    if (!res.ok) {
      const fields: Record<string, string> = {}
      for (const f of data?.errors ?? []) {
        const key = fieldKey(f.field)
        fields[key] = fields[key] ? `${fields[key]}; ${f.message}` : f.message
      }
      const message = data?.error ?? `The server answered ${res.status} ${res.statusText}.`
      if (res.status === 401 && path !== '/session') this.onSignedOut()
      throw new ApiError(res.status, message, fields, data)
    }
    return data as T
  }

  async session(): Promise<SessionInfo | null> {
    try {
      const s = await this.request<SessionInfo>('GET', '/session')
      this.csrf = s.csrf_token ?? ''
      return s
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null
      throw e
    }
  }

  async signIn(password: string): Promise<SessionInfo> {
    const s = await this.request<SessionInfo>('POST', '/session', { password })
    this.csrf = s.csrf_token ?? ''
    return s
  }

  async signOut(): Promise<void> {
    await this.request('DELETE', '/session')
    this.csrf = ''
  }

  changePassword(current_password: string, new_password: string) {
    return this.request<void>('PUT', '/session/password', { current_password, new_password })
  }

  async users(groupId?: number): Promise<User[]> {
    const q = groupId ? `?group_id=${groupId}` : ''
    return (await this.request<{ users: User[] }>('GET', '/users' + q)).users
  }
  createUser(u: UserInput) {
    return this.request<User>('POST', '/users', u)
  }
  updateUser(id: number, u: UserInput) {
    return this.request<User>('PATCH', `/users/${id}`, u)
  }
  deleteUser(id: number) {
    return this.request<void>('DELETE', `/users/${id}`)
  }

  async groups(): Promise<Group[]> {
    return (await this.request<{ groups: Group[] }>('GET', '/groups')).groups
  }
  createGroup(g: GroupInput) {
    return this.request<Group>('POST', '/groups', g)
  }
  updateGroup(id: number, g: GroupInput) {
    return this.request<Group>('PUT', `/groups/${id}`, g)
  }
  deleteGroup(id: number) {
    return this.request<void>('DELETE', `/groups/${id}`)
  }

  calls(f: CallFilter, page: { limit: number; offset: number }, signal?: AbortSignal) {
    return this.request<{ calls: CallRecord[]; total: number }>('GET', '/calls' + callQuery(f, page), undefined, signal)
  }

  async mediaFiles(): Promise<MediaFile[]> {
    return (await this.request<{ media: MediaFile[] }>('GET', '/media')).media
  }
  /** uploadMedia sends a WAV file as multipart field "file"; an empty name lets the server name it. */
  uploadMedia(file: File, name: string) {
    const form = new FormData()
    form.append('file', file)
    if (name) form.append('name', name)
    return this.request<MediaFile>('POST', '/media', form)
  }
  deleteMedia(id: number) {
    return this.request<void>('DELETE', `/media/${id}`)
  }

  async registrations(): Promise<Registration[]> {
    return (await this.request<{ registrations: Registration[] }>('GET', '/registrations')).registrations
  }

  async tokens(): Promise<APIToken[]> {
    return (await this.request<{ tokens: APIToken[] }>('GET', '/tokens')).tokens
  }
  createToken(name: string) {
    return this.request<APIToken & { token: string }>('POST', '/tokens', { name })
  }
  revokeToken(id: number) {
    return this.request<void>('DELETE', `/tokens/${id}`)
  }
}

/** callsCsvUrl is where the browser downloads the calls a filter selects; the session cookie authorises it. */
export function callsCsvUrl(f: CallFilter): string {
  return '/api/v1/calls.csv' + callQuery(f)
}

/** recordingUrl streams a call's recording; an <audio> element sends the session cookie, and the server answers Range requests. */
export function recordingUrl(id: number): string {
  return `/api/v1/calls/${id}/recording`
}

/** mediaAudioUrl serves an uploaded file as it was sent, for an <audio> element. */
export function mediaAudioUrl(id: number): string {
  return `/api/v1/media/${id}/audio`
}

/** message turns anything thrown into words for the admin. */
export function message(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
