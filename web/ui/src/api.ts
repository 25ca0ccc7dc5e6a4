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

/** ApiError is a refused request: its status, message and, for 422, the message per field. */
export class ApiError extends Error {
  status: number
  fields: Record<string, string>
  constructor(status: number, message: string, fields: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.fields = fields
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

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf
    let res: Response
    try {
      res = await fetch('/api/v1' + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      })
    } catch {
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
      throw new ApiError(res.status, message, fields)
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

/** message turns anything thrown into words for the admin. */
export function message(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
