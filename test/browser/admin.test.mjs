// The admin app in a real browser: sign-in, phone users, phone groups, the
// call history, audio files, settings, and the session's CSRF guard. The tests run in order and share
// one browser, as one administrator's visit would.
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { adminToken, api, baseURL, carrierCall, changedPassword, launch, placeCall, shot } from './harness.mjs'

let b, page

before(async () => {
  b = await launch()
  page = b.page
})

after(async () => {
  await b?.close()
})

// A test that failed with a dialog open should not fail every test after it.
afterEach(async () => {
  if (await page.getByRole('dialog').count()) await page.keyboard.press('Escape')
})

const dialog = () => page.getByRole('dialog')
/** fieldError is the message shown beside the input labelled label, inside scope. */
const fieldError = (scope, label) => scope.locator('.field').filter({ has: page.locator('label', { hasText: new RegExp(`^${label}$`) }) }).locator('.field-error')
const row = (ext) => page.locator(`tr[data-user="${ext}"]`)

/** wav builds a PCM WAV file of a 440 Hz tone, as a sound editor would save it. */
function wav({ rate = 8000, channels = 1, bits = 16, seconds = 1.5 } = {}) {
  const frames = Math.round(rate * seconds)
  const width = bits / 8
  const data = Buffer.alloc(frames * channels * width)
  for (let i = 0; i < frames; i++) {
    const v = Math.sin((2 * Math.PI * 440 * i) / rate) * 0.3
    for (let c = 0; c < channels; c++) {
      const at = (i * channels + c) * width
      if (bits === 8) data.writeUInt8(Math.round(128 + v * 127), at)
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32767), at)
      else data.writeIntLE(Math.round(v * 8388607), at, 3)
    }
  }
  const h = Buffer.alloc(44)
  h.write('RIFF', 0)
  h.writeUInt32LE(36 + data.length, 4)
  h.write('WAVE', 8)
  h.write('fmt ', 12)
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20) // PCM
  h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(rate, 24)
  h.writeUInt32LE(rate * channels * width, 28)
  h.writeUInt16LE(channels * width, 32)
  h.writeUInt16LE(bits, 34)
  h.write('data', 36)
  h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}

async function userByExtension(ext) {
  const { body } = await api('GET', '/users')
  return body.users.find((u) => u.extension === ext)
}

test('the sign-in page renders at / on a fresh server', async () => {
  const res = await page.goto('/')
  assert.equal(res.status(), 200)
  await page.getByRole('heading', { name: 'Sign in to the admin app' }).waitFor()
  assert.ok(await page.getByLabel('Admin password', { exact: true }).isVisible())
  // A deep link (reload on an app route) is the app too, not a 404.
  const deep = await fetch(baseURL + '/telephony/users')
  assert.equal(deep.status, 200)
  assert.match(await deep.text(), /<div id="root">/)
  await shot(page, '01-sign-in')
})

test('signs in, refusing a wrong password beside the field', async () => {
  await page.getByLabel('Admin password', { exact: true }).fill('not-the-password')
  await page.getByLabel('Admin password', { exact: true }).press('Enter')
  await assert.doesNotReject(fieldError(page, 'Admin password').filter({ hasText: 'not the admin password' }).waitFor())
  await shot(page, '02-sign-in-wrong-password')

  await page.getByLabel('Admin password', { exact: true }).fill(adminToken)
  await page.getByLabel('Admin password', { exact: true }).press('Enter')
  await page.getByRole('heading', { name: 'Telephony' }).waitFor()
  const tabs = await page.getByRole('navigation', { name: 'Telephony' }).getByRole('link').allTextContents()
  assert.deepEqual(tabs, ['Plan details', 'Phone numbers', 'Call flows', 'Audio files', 'Phone users', 'Phone groups', 'Call history'])
  assert.equal(new URL(page.url()).pathname, '/telephony/users')
  await page.getByText('No phone users yet').waitFor()
  await shot(page, '03-signed-in-empty')
})

test('adds a phone user', async () => {
  // Caller IDs are numbers the company owns.
  for (const e164 of ['+15550001111', '+15550002222']) {
    const r = await api('POST', '/numbers', { e164, type: 'local', country: 'US', region: 'Test' })
    assert.equal(r.status, 201, JSON.stringify(r.body))
  }
  await page.getByRole('button', { name: 'Add user' }).click()
  const d = dialog()
  await d.getByRole('heading', { name: 'Add a phone user' }).waitFor()
  // Focus starts in the first field, so the keyboard can go straight on.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'name')
  await d.getByLabel('Name', { exact: true }).fill('Alice Archer')
  await d.getByLabel('Extension', { exact: true }).fill('1001')
  await d.getByLabel('SIP password', { exact: true }).fill('alice-secret-1')
  await d.getByLabel('Outbound caller IDs', { exact: true }).fill('+15550001111')
  // Outbound calls start off, as the API's default has it.
  assert.equal(await d.getByLabel('Allow outbound calls', { exact: true }).isChecked(), false)
  await d.getByRole('button', { name: 'Add user' }).click()
  await row('1001').waitFor()
  await page.getByText('Alice Archer was added with extension 1001.').waitFor()
  assert.match(await row('1001').textContent(), /Alice Archer.*1001.*Not allowed.*Offline/)

  const alice = await userByExtension('1001')
  assert.equal(alice.allow_outbound, false)
  assert.equal(alice.name, 'Alice Archer')
  assert.equal(alice.sip_username, '1001')
  assert.deepEqual(alice.caller_ids, ['+15550001111'])
  await shot(page, '04-user-added')
})

test('shows the API error beside the field it concerns', async () => {
  await page.getByRole('button', { name: 'Add user' }).click()
  const d = dialog()
  await d.getByLabel('Name', { exact: true }).fill('Alice Again')
  await d.getByLabel('Extension', { exact: true }).fill('1001')
  await d.getByLabel('SIP username', { exact: true }).fill('alice2')
  await d.getByLabel('SIP password', { exact: true }).fill('another-secret')
  await d.getByLabel('Extension', { exact: true }).press('Enter') // Enter submits the form

  const extError = fieldError(d, 'Extension')
  await extError.waitFor()
  assert.match(await extError.textContent(), /already taken/)
  // The input says it is invalid and points at its message, for screen readers too.
  const ext = d.getByLabel('Extension', { exact: true })
  assert.equal(await ext.getAttribute('aria-invalid'), 'true')
  assert.ok((await ext.getAttribute('aria-describedby')).includes(await extError.getAttribute('id')))
  await shot(page, '05-duplicate-extension')

  // caller_ids[1] lands on the caller IDs input.
  await d.getByLabel('Extension', { exact: true }).fill('1009')
  await d.getByLabel('Outbound caller IDs', { exact: true }).fill('+15550001111\n12345')
  await d.getByRole('button', { name: 'Add user' }).click()
  await fieldError(d, 'Outbound caller IDs').filter({ hasText: 'E.164' }).waitFor()
  assert.equal(await fieldError(d, 'Extension').count(), 0)
  await shot(page, '06-caller-id-error')

  await page.keyboard.press('Escape') // Escape closes the dialog
  await dialog().waitFor({ state: 'detached' })
  assert.equal(await userByExtension('1009'), undefined)
})

test('edits the user', async () => {
  await row('1001').getByRole('button', { name: 'Edit' }).click()
  const d = dialog()
  await d.getByRole('heading', { name: 'Edit Alice Archer' }).waitFor()
  assert.equal(await d.getByLabel('Extension', { exact: true }).inputValue(), '1001')
  await d.getByLabel('Name', { exact: true }).fill('Alice Abbott')
  await d.getByLabel('Outbound caller IDs', { exact: true }).fill('+15550001111\n+15550002222')
  await d.getByLabel('Allow outbound calls', { exact: true }).check()
  await d.getByLabel('Record outbound calls', { exact: true }).check()
  await d.getByLabel('Allow a custom caller ID', { exact: true }).check()
  await d.getByRole('button', { name: 'Save changes' }).click()
  await page.getByText('Alice Abbott was saved.').waitFor()
  // The list reloads after the notice appears: wait for the new row.
  await row('1001').filter({ hasText: /Alice Abbott.*Allowed, recorded/ }).waitFor()
  assert.match(await row('1001').textContent(), /Alice Abbott.*Allowed, recorded/)

  const alice = await userByExtension('1001')
  assert.equal(alice.name, 'Alice Abbott')
  assert.equal(alice.allow_outbound, true)
  assert.equal(alice.record_outbound, true)
  assert.equal(alice.allow_custom_caller_id, true)
  assert.deepEqual(alice.caller_ids, ['+15550001111', '+15550002222'])
  await shot(page, '07-user-edited')
})

test('creates a group with two members in a chosen order', async () => {
  const bob = await api('POST', '/users', { name: 'Bob Baker', extension: '1002', sip_password: 'bob-secret-12' })
  assert.equal(bob.status, 201)
  const alice = await userByExtension('1001')

  await page.getByRole('link', { name: 'Phone groups' }).click()
  await page.getByText('No phone groups yet').waitFor()
  await page.getByRole('button', { name: 'Create group' }).first().click()
  const d = dialog()
  await d.getByLabel('Name', { exact: true }).fill('Support')
  await d.getByLabel('Description', { exact: true }).fill('First line for customers')
  await d.getByLabel('User to add', { exact: true }).selectOption({ label: 'Alice Abbott (1001)' })
  await d.getByRole('button', { name: 'Add member' }).click()
  await d.getByLabel('User to add', { exact: true }).selectOption({ label: 'Bob Baker (1002)' })
  await d.getByRole('button', { name: 'Add member' }).click()
  const members = d.getByRole('list', { name: 'Members' }).getByRole('listitem')
  assert.deepEqual(await members.locator('.who').allTextContents(), ['Alice Abbott (1001)', 'Bob Baker (1002)'])
  await d.getByRole('button', { name: 'Move Bob Baker (1002) up' }).click()
  assert.deepEqual(await members.locator('.who').allTextContents(), ['Bob Baker (1002)', 'Alice Abbott (1001)'])
  await shot(page, '08-group-form')
  await d.getByRole('button', { name: 'Create group' }).click()

  const groupRow = page.locator('tr[data-group="Support"]')
  await groupRow.waitFor()
  assert.deepEqual(await groupRow.locator('li').allTextContents(), ['Bob Baker (1002)', 'Alice Abbott (1001)'])
  const { body } = await api('GET', '/groups')
  const support = body.groups.find((g) => g.name === 'Support')
  assert.deepEqual(support.member_ids, [bob.body.id, alice.id])
  assert.equal(support.description, 'First line for customers')
  await shot(page, '09-group-created')

  // The users tab shows the group and filters by it.
  await page.getByRole('link', { name: 'Phone users' }).click()
  await row('1002').waitFor()
  assert.match(await row('1002').textContent(), /Support/)
  await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Support' })
  await page.waitForFunction(() => document.querySelectorAll('tr[data-user]').length === 2)
})

test('deletes with a confirmation', async () => {
  await page.getByLabel('Group', { exact: true }).selectOption({ label: 'All groups' })
  await row('1002').getByRole('button', { name: 'Remove' }).click()
  await dialog().getByRole('heading', { name: 'Remove Bob Baker?' }).waitFor()
  await shot(page, '10-confirm-remove')
  // Escape backs out and nothing is removed.
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })
  assert.ok(await userByExtension('1002'))

  // A user a call flow rings is kept, and the dialog says which flow.
  const bob = await userByExtension('1002')
  const flow = await api('POST', '/flows', {
    name: 'Night line',
    states: [{ id: 'start', type: 'start' }, { id: 'bob', type: 'transfer_user', user_id: bob.id }],
    connections: [{ from: 'start', outcome: 'next', to: 'bob' }],
  })
  assert.equal(flow.status, 201)
  await row('1002').getByRole('button', { name: 'Remove' }).click()
  await dialog().getByRole('button', { name: 'Remove user' }).click()
  await dialog().getByText('the user is used by call flows: Night line. Take the user out of those flows first.').waitFor()
  await shot(page, '10-remove-refused-in-use')
  assert.ok(await userByExtension('1002'))
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })
  assert.equal((await api('DELETE', `/flows/${flow.body.id}`)).status, 204)

  await row('1002').getByRole('button', { name: 'Remove' }).click()
  await dialog().getByRole('button', { name: 'Remove user' }).click()
  await page.getByText('Bob Baker was removed.').waitFor()
  await row('1002').waitFor({ state: 'detached' })
  assert.equal(await userByExtension('1002'), undefined)

  await page.getByRole('link', { name: 'Phone groups' }).click()
  const groupRow = page.locator('tr[data-group="Support"]')
  await groupRow.getByRole('button', { name: 'Delete' }).click()
  await dialog().getByRole('button', { name: 'Delete group' }).click()
  await page.getByText('Group Support was deleted.').waitFor()
  const { body } = await api('GET', '/groups')
  assert.equal(body.groups.length, 0)
})

test('the call history shows its empty state, and its filters drive the list and the CSV download alike', async () => {
  const alice = await userByExtension('1001')
  const calls = await api('GET', '/calls')
  assert.equal(calls.status, 200)
  assert.equal(calls.body.total, 0, 'no call has been placed on this server')

  await page.getByRole('link', { name: 'Call history' }).click()
  await page.getByText('No calls yet').waitFor()
  const csv = page.getByRole('link', { name: 'Download CSV' })
  assert.equal(await csv.getAttribute('href'), '/api/v1/calls.csv')
  await shot(page, '18-calls-empty')

  // Each filter reloads the list; the CSV link carries the same query without paging.
  const listed = page.waitForRequest((r) => r.url().includes('/api/v1/calls?') && r.url().includes('owner='))
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Missed' })
  await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'Alice Abbott (1001)' })
  const list = new URL((await listed).url())
  await page.getByLabel('From', { exact: true }).fill('2026-03-01')
  await page.getByLabel('To', { exact: true }).fill('2026-03-31')
  await page.getByText('No calls match these filters').waitFor()
  assert.equal(list.searchParams.get('type'), 'missed')
  assert.equal(list.searchParams.get('owner'), String(alice.id))
  assert.equal(list.searchParams.get('limit'), '50')

  // The dates are the admin's own days, as the list shows times: the To day is included whole.
  const [from, to] = await page.evaluate(() => [new Date(2026, 2, 1).toISOString(), new Date(2026, 3, 1).toISOString()])
  const href = new URL(await csv.getAttribute('href'), baseURL)
  assert.equal(href.pathname, '/api/v1/calls.csv')
  assert.deepEqual(Object.fromEntries(href.searchParams), { type: 'missed', owner: String(alice.id), from, to })
  await shot(page, '19-calls-filtered')

  // The browser downloads it with its session cookie.
  const got = await page.evaluate(async (u) => {
    const r = await fetch(u)
    return { status: r.status, type: r.headers.get('Content-Type'), disposition: r.headers.get('Content-Disposition'), text: await r.text() }
  }, href.pathname + href.search)
  assert.equal(got.status, 200)
  assert.match(got.type, /^text\/csv/)
  assert.match(got.disposition, /attachment; filename="calls.csv"/)
  assert.match(got.text.split('\n')[0], /started_at/)
  assert.equal(got.text.trim().split('\n').length, 1, 'only the header row')

  // A To day before the From day is refused at once, beside the dates.
  await page.getByLabel('To', { exact: true }).fill('2026-02-01')
  await page.getByText('The “To” date is before the “From” date.').waitFor()
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByText('No calls yet').waitFor()
  assert.equal(await csv.getAttribute('href'), '/api/v1/calls.csv')
})

test('a real call lands in the call history, owned by the user it was for', async () => {
  // Alice's phone (sipp) dials Dan, who has no phone registered: the PBX answers 480 and records a missed call.
  const dan = await api('POST', '/users', { name: 'Dan Diaz', extension: '1004', sip_password: 'dan-secret-12' })
  assert.equal(dan.status, 201)
  await placeCall({ from: '1001', password: 'alice-secret-1', to: '1004', scenario: 'missed-call-uac.xml' })
  const { body } = await api('GET', '/calls')
  assert.equal(body.total, 1)
  assert.equal(body.calls[0].owner_user_id, dan.body.id)

  // Coming back to the tab reads the list again.
  await page.getByRole('link', { name: 'Phone users' }).click()
  await page.getByRole('link', { name: 'Call history' }).click()
  const call = page.locator(`tr[data-call="${body.calls[0].id}"]`)
  // The owner is named once the users are read.
  await call.filter({ hasText: 'Dan Diaz' }).waitFor()
  const cells = (await call.locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())
  assert.equal(cells[0], `${await page.evaluate((t) => new Date(t).toLocaleString(), body.calls[0].started_at)} Internal`)
  assert.deepEqual(cells.slice(1), ['Missed', '1001', '1004', 'Dan Diaz Ext. 1004', 'Not answered unavailable', 'Free', 'None'])
  await page.getByRole('status').filter({ hasText: /^1 call$/ }).waitFor()
  await shot(page, '25-calls-missed')

  // The filters select it, or not.
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Incoming' })
  await page.getByText('No calls match these filters').waitFor()
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Missed' })
  await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'Dan Diaz (1004)' })
  await call.waitFor()
  const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')
  const rows = (await page.evaluate(async (u) => (await fetch(u)).text(), href)).trim().split('\n')
  assert.equal(rows.length, 2, 'the header and the call')
  assert.match(rows[1], /missed/)
  await page.getByRole('button', { name: 'Clear filters' }).click()
  assert.equal((await api('DELETE', `/users/${dan.body.id}`)).status, 204)
})

test('a voicemail lands in the call history, and the browser plays it from where it is asked to', async () => {
  // A carrier's call to a number whose flow takes a message of at most 3 s: the caller (sipp) speaks 7 s.
  const carrierIP = '127.0.58.2'
  const number = '+15550058001'
  // Inbound calls cost credits (the example rates): buy some first.
  const quote = await api('POST', '/wallet/quotes', { credits: '5' })
  assert.equal(quote.status, 201, JSON.stringify(quote.body))
  assert.equal((await api('POST', '/wallet/purchases', { quote_id: quote.body.id })).status, 201)
  const trunk = await api('POST', '/trunks', { name: 'Carrier', host: carrierIP, inbound_cidrs: [carrierIP] })
  assert.equal(trunk.status, 201, JSON.stringify(trunk.body))
  const num = await api('POST', '/numbers', { e164: number, type: 'toll_free', country: 'US', trunk_id: trunk.body.id })
  assert.equal(num.status, 201, JSON.stringify(num.body))
  const flow = await api('POST', '/flows', {
    name: 'After hours',
    numbers: [number],
    states: [
      { id: 'start', type: 'start' },
      { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' }, max_seconds: 3 },
    ],
    connections: [{ from: 'start', outcome: 'next', to: 'vm' }],
  })
  assert.equal(flow.status, 201, JSON.stringify(flow.body))
  assert.equal((await api('POST', `/flows/${flow.body.id}/publish`)).status, 200)
  await carrierCall({ ip: carrierIP, number, caller: '+15550058099', scenario: 'voicemail-uac.xml' })
  let vm
  for (let i = 0; i < 50 && !vm; i++) {
    vm = (await api('GET', '/calls')).body.calls.find((c) => c.voicemail)
    if (!vm) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(vm?.has_recording, `a voicemail with its recording in the history: ${JSON.stringify(vm)}`)

  // The player's requests, as the browser makes them.
  const fetched = []
  const onResponse = (r) => {
    if (new URL(r.url()).pathname === `/api/v1/calls/${vm.id}/recording`) fetched.push({ status: r.status(), range: r.headers()['content-range'] })
  }
  page.on('response', onResponse)
  await page.getByRole('link', { name: 'Phone users' }).click()
  await page.getByRole('link', { name: 'Call history' }).click()
  const call = page.locator(`tr[data-call="${vm.id}"]`)
  await call.waitFor()
  assert.match(await call.locator('td.recording').textContent(), /Voicemail/)
  const audio = call.getByLabel('Voicemail of the call from +15550058099')
  const heard = await audio.evaluate(
    (a) =>
      new Promise((resolve, reject) => {
        a.onerror = () => reject(new Error('the player could not load the message: ' + a.error?.message))
        a.onloadedmetadata = () => {
          const seekable = a.seekable.length ? a.seekable.end(0) : 0
          a.onseeked = () => resolve({ duration: a.duration, seekable, at: a.currentTime })
          a.currentTime = 2
        }
        a.preload = 'metadata'
        a.load()
      }),
  )
  page.off('response', onResponse)
  assert.ok(Math.abs(heard.duration - vm.recording_seconds) < 0.1, `the player says ${heard.duration} s, the record ${vm.recording_seconds} s`)
  assert.ok(heard.duration > 2.5 && heard.duration < 3.5, `the message lasts ${heard.duration} s; the limit is 3 s`)
  // Without Range the browser could only play from the start.
  assert.ok(Math.abs(heard.seekable - heard.duration) < 0.1, `seekable to ${heard.seekable} s of ${heard.duration} s`)
  assert.ok(Math.abs(heard.at - 2) < 0.05, `the player went to ${heard.at} s, not 2 s`)
  assert.ok(
    fetched.some((f) => f.status === 206 && /^bytes \d+-\d+\/\d+$/.test(f.range)),
    `the browser's requests for the recording: ${JSON.stringify(fetched)}`,
  )
  await shot(page, '26-calls-voicemail')
})

test('uploads, plays and deletes an audio file, refusing a file calls cannot play', async () => {
  await page.getByRole('link', { name: 'Audio files' }).click()
  await page.getByText('No audio files yet').waitFor()
  const upload = page.getByRole('form', { name: 'Upload a WAV file' })
  await upload.getByLabel('WAV file', { exact: true }).setInputFiles({ name: 'welcome.wav', mimeType: 'audio/wav', buffer: wav({ seconds: 1.5 }) })
  await upload.getByLabel('Name', { exact: true }).fill('Welcome')
  await upload.getByRole('button', { name: 'Upload' }).click()
  await page.getByText('Welcome was uploaded.').waitFor()
  const welcome = page.locator('tr[data-media="Welcome"]')
  await welcome.waitFor()
  assert.match(await welcome.textContent(), /Welcome.*1\.5 s.*8 kHz, mono, 16-bit/)
  const { body } = await api('GET', '/media')
  const file = body.media.find((f) => f.name === 'Welcome')
  assert.equal(file.duration_seconds, 1.5)

  // The player's plain <audio src> request is signed in by the session cookie: the browser reads the file's length from it.
  const audio = welcome.locator('audio')
  assert.equal(await audio.getAttribute('src'), `/api/v1/media/${file.id}/audio`)
  assert.equal(await audio.getAttribute('preload'), 'none')
  const played = await audio.evaluate(
    (a) =>
      new Promise((resolve, reject) => {
        a.onloadedmetadata = () => resolve(a.duration)
        a.onerror = () => reject(new Error('the player could not load the file: ' + a.error?.message))
        a.preload = 'metadata'
        a.load()
      }),
  )
  assert.ok(Math.abs(played - 1.5) < 0.05, `the player says the file lasts ${played} s`)
  await shot(page, '20-media-uploaded')

  // A 24-bit file is refused beside the file input, with what was wrong.
  await upload.getByLabel('WAV file', { exact: true }).setInputFiles({ name: 'studio.wav', mimeType: 'audio/wav', buffer: wav({ bits: 24, seconds: 0.5 }) })
  await upload.getByLabel('Name', { exact: true }).fill('Studio master')
  await upload.getByRole('button', { name: 'Upload' }).click()
  const fileError = fieldError(upload, 'WAV file')
  await fileError.waitFor()
  assert.match(await fileError.textContent(), /PCM WAV.*24-bit/)
  assert.equal(await upload.getByLabel('WAV file', { exact: true }).getAttribute('aria-invalid'), 'true')
  assert.equal(await page.locator('tr[data-media="Studio master"]').count(), 0)
  await shot(page, '21-media-bad-file')

  // A file a flow plays cannot be deleted; the dialog names the flow.
  const flow = await api('POST', '/flows', {
    name: 'Front desk',
    states: [
      { id: 'start', type: 'start' },
      { id: 'hello', type: 'announce', prompt: { file_id: file.id } },
    ],
    connections: [{ from: 'start', outcome: 'next', to: 'hello' }],
  })
  assert.equal(flow.status, 201, JSON.stringify(flow.body))
  await welcome.getByRole('button', { name: 'Delete' }).click()
  await dialog().getByRole('button', { name: 'Delete file' }).click()
  await dialog().getByRole('alert').filter({ hasText: 'Front desk' }).waitFor()
  await shot(page, '22-media-in-use')
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })
  assert.equal((await api('DELETE', `/flows/${flow.body.id}`)).status, 204)

  await welcome.getByRole('button', { name: 'Delete' }).click()
  await dialog().getByRole('button', { name: 'Delete file' }).click()
  await page.getByText('Welcome was deleted.').waitFor()
  await welcome.waitFor({ state: 'detached' })
  await page.getByText('No audio files yet').waitFor()
  assert.equal((await api('GET', '/media')).body.media.length, 0)
})

test('creates an API token that a program can use, then revokes it', async () => {
  await page.getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Token name', { exact: true }).fill('CRM sync')
  await page.getByRole('button', { name: 'Create token' }).click()
  const token = (await page.locator('[data-token]').textContent()).trim()
  assert.match(token, /^pbx_/)
  await page.getByRole('table', { name: 'API tokens' }).getByText('CRM sync').waitFor()
  await shot(page, '12-token-created')

  const withToken = (t) => fetch(baseURL + '/api/v1/users', { headers: { Authorization: 'Bearer ' + t } })
  assert.equal((await withToken(token)).status, 200)
  await page.getByRole('button', { name: 'Revoke CRM sync' }).click()
  await dialog().getByRole('button', { name: 'Revoke token' }).click()
  await page.getByText('No API tokens').waitFor()
  assert.equal((await withToken(token)).status, 401)
})

test('refuses a cookie-authenticated change without the CSRF token', async () => {
  // The request a hostile page could make: the browser attaches the cookie, but not the header.
  const result = await page.evaluate(async () => {
    const post = (headers) =>
      fetch('/api/v1/users', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ name: 'Mallory', extension: '6666', sip_password: 'mallory-pass' }) })
    const bare = await post({})
    const read = await fetch('/api/v1/users')
    return { status: bare.status, body: await bare.json(), readStatus: read.status }
  })
  assert.equal(result.readStatus, 200, 'the cookie does sign the browser in')
  assert.equal(result.status, 403)
  assert.match(result.body.error, /X-CSRF-Token/)
  assert.equal(await userByExtension('6666'), undefined)
  const cookies = await b.context.cookies()
  const session = cookies.find((c) => c.name === 'pbx_session')
  assert.ok(session.httpOnly, 'the session cookie is HttpOnly')
  assert.equal(session.sameSite, 'Strict')
  await shot(page, '13-settings')
})

test('works at phone width', async () => {
  await api('POST', '/users', { name: 'Carol Chen', extension: '1003', sip_password: 'carol-secret-1', allow_outbound: false })
  await page.setViewportSize({ width: 375, height: 740 })
  await page.getByRole('link', { name: 'Telephony' }).click()
  await row('1003').waitFor()
  // Nothing wider than the screen.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the page scrolls sideways at 375px')
  await shot(page, '14-phone-users-375')
  await row('1001').getByRole('button', { name: 'Edit' }).click()
  await dialog().getByLabel('Name', { exact: true }).waitFor()
  await shot(page, '15-phone-edit-375')
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })

  // The new pages too: a file's row with its player, and the call filters.
  const form = new FormData()
  form.append('file', new Blob([wav({ seconds: 2 })], { type: 'audio/wav' }), 'hold-music.wav')
  const res = await fetch(baseURL + '/api/v1/media', { method: 'POST', headers: { Authorization: 'Bearer ' + adminToken }, body: form })
  assert.equal(res.status, 201)
  const held = await res.json()
  assert.equal(held.name, 'hold-music.wav', 'a file sent without a name is named after itself')
  await page.getByRole('link', { name: 'Audio files' }).click()
  await page.locator('tr[data-media="hold-music.wav"]').waitFor()
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'Audio files scrolls sideways at 375px')
  await shot(page, '23-phone-media-375')
  await page.getByRole('link', { name: 'Call history' }).click()
  await page.getByLabel('Owner', { exact: true }).waitFor()
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'Call history scrolls sideways at 375px')
  await shot(page, '24-phone-calls-375')
  assert.equal((await api('DELETE', `/media/${held.id}`)).status, 204)
  await page.setViewportSize({ width: 1280, height: 800 })
})

test('signs out', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { name: 'Sign in to the admin app' }).waitFor()
  await page.getByText('You have signed out.').waitFor()
  const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status)
  assert.equal(status, 401)
  // A reload stays signed out.
  await page.reload()
  await page.getByRole('heading', { name: 'Sign in to the admin app' }).waitFor()
  await shot(page, '16-signed-out')
  assert.deepEqual(b.problems.filter((p) => !/40[13]/.test(p)), [])
})

test('changes the admin password; the bootstrap token then stops signing in and stops being a bearer token', async () => {
  const signInWith = async (password) => {
    // Right after signing out, Settings' "Admin password" form may still be
    // on screen: wait for the sign-in page.
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    await page.getByLabel('Admin password', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await signInWith(adminToken)
  await page.getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Current password', { exact: true }).fill(adminToken)
  await page.getByLabel('New password', { exact: true }).fill('short')
  await page.getByLabel('New password again', { exact: true }).fill('short')
  await page.getByRole('button', { name: 'Change password' }).click()
  await fieldError(page, 'New password').filter({ hasText: 'at least 12 characters' }).waitFor()

  await page.getByLabel('New password', { exact: true }).fill(changedPassword)
  await page.getByLabel('New password again', { exact: true }).fill(changedPassword)
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('The password was changed.').waitFor()
  await shot(page, '17-password-changed')

  await page.getByRole('button', { name: 'Sign out' }).click()
  await signInWith(adminToken)
  await fieldError(page, 'Admin password').filter({ hasText: 'not the admin password' }).waitFor()
  await signInWith(changedPassword)
  await page.getByRole('heading', { name: 'Telephony' }).waitFor()
  // PBX_ADMIN_TOKEN is no bearer token once a password is set.
  assert.equal((await api('GET', '/users')).status, 401)
})
