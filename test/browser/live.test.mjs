// The live view in a real browser, fed by the server's events: a phone
// (sipp) registering and leaving shows in "Online"; a carrier's call (sipp,
// held for about 10 s) shows while it runs, with the flow state it is in and
// a duration that ticks, and leaves when it ends; nothing is polled; a lost
// connection is found again.
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { axe, carrierCall, carrierLine, launch, programToken, registerPhone, shot, signIn } from './harness.mjs'

let b, page, api
const made = { user: 0, group: 0 }
let line // the carrier, number and flow the call comes through

const carrierIP = '127.0.83.4'
const phoneIP = '127.0.83.5'
const number = '+15550083002'
const caller = '+15550083098'

/** seconds reads a duration as the page shows it (0:07, 1:02:03). */
const seconds = (s) => s.split(':').reduce((n, part) => n * 60 + Number(part), 0)

before(async () => {
  b = await launch()
  page = b.page
  await signIn(page)
  api = await programToken(page, 'live browser test')

  const user = await api('POST', '/users', { name: 'Hana Hale', extension: '2201', sip_password: 'hana-secret-12' })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  made.user = user.body.id
  // A menu nobody answers: after its prompt and 5 s, the call goes on to voicemail.
  line = await carrierLine(api, {
    name: 'Live line',
    ip: carrierIP,
    number,
    states: [
      { id: 'start', type: 'start' },
      { id: 'menu', type: 'ivr', prompt: { text: 'Press 1 to leave a message.' } },
      { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' }, max_seconds: 30 },
    ],
    connections: [
      { from: 'start', outcome: 'next', to: 'menu' },
      { from: 'menu', outcome: '1', to: 'vm' },
      { from: 'menu', outcome: 'timeout', to: 'vm' },
    ],
  })
})

after(async () => {
  if (api) {
    await line?.remove()
    if (made.group) await api('DELETE', `/groups/${made.group}`)
    if (made.user) await api('DELETE', `/users/${made.user}`)
    await api.revoke()
  }
  await b?.close()
})

afterEach(async () => {
  await page.setViewportSize({ width: 1280, height: 800 })
})

const live = () => page.getByRole('status').filter({ hasText: 'Live: changes appear as they happen' })

test('shows a phone coming online and leaving, as it happens', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click()
  await page.getByRole('heading', { name: 'Live', level: 1 }).waitFor()
  await live().waitFor()
  const hana = page.locator('li[data-online="2201"]')
  assert.equal(await hana.count(), 0)

  await registerPhone({ user: '2201', password: 'hana-secret-12', ip: phoneIP, expires: 300 })
  await hana.waitFor()
  assert.match(await hana.innerText(), /Hana Hale \(2201\)\s+1 device · online for \d+:\d\d\s+Free/)
  await shot(page, 'live-01-online')

  await registerPhone({ user: '2201', password: 'hana-secret-12', ip: phoneIP, expires: 0 })
  await hana.waitFor({ state: 'detached' })
})

test('shows a real call while it runs, where it is in its flow and for how long, and drops it when it ends', async () => {
  await live().waitFor()
  // Everything the page asks of the server from here on: the events come on the stream already open.
  const asked = []
  const onRequest = (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) asked.push(new URL(r.url()).pathname)
  }
  page.on('request', onRequest)

  const call = carrierCall({ ip: carrierIP, number, caller, scenario: 'held-call-uac.xml' })
  const row = page.locator('tr[data-live-call]').filter({ hasText: caller })
  try {
    await row.waitFor()
    assert.match(await row.locator('td[data-label="Called"]').innerText(), new RegExp('^\\' + number + '$'))
    await row.locator('td[data-label="Where"]').filter({ hasText: 'Live line · menu (IVR menu)' }).waitFor()
    assert.match(await row.locator('td[data-label="Where"]').innerText(), /^In the flow/)

    // The duration ticks in the browser.
    const first = seconds(await row.locator('[data-duration]').innerText())
    await page.waitForTimeout(2100)
    const later = seconds(await row.locator('[data-duration]').innerText())
    assert.ok(later >= first + 2 && later <= first + 3, `the duration went from ${first} s to ${later} s in 2.1 s`)
    await shot(page, 'live-02-call-in-menu')
    await page.setViewportSize({ width: 375, height: 740 })
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the live view scrolls sideways at 375px')
    await shot(page, 'live-03-call-in-menu-375')
    await page.setViewportSize({ width: 1280, height: 800 })

    // Nobody presses a key: the menu times out into voicemail, and the row follows.
    await row.locator('td[data-label="Where"]').filter({ hasText: 'Live line · vm (voicemail)' }).waitFor({ timeout: 10000 })
    assert.match(await row.locator('td[data-label="Duration"]').innerText(), /in this step/)
    assert.deepEqual(await axe(page), [])
    await shot(page, 'live-04-call-in-voicemail')
  } finally {
    await call
  }
  // The caller hung up: the call leaves the view.
  await row.waitFor({ state: 'detached', timeout: 5000 })
  await page.getByText('No calls right now').waitFor()
  page.off('request', onRequest)
  assert.deepEqual(
    asked.filter((p) => /\/(live|calls|registrations)\b/.test(p)),
    [],
    `the page asked the server while the call ran: ${asked.join(', ')}`,
  )
  await shot(page, 'live-05-call-ended')
})

test('finds the server again when the stream is refused or ends', async () => {
  const opened = []
  const onRequest = (r) => {
    if (new URL(r.url()).pathname === '/api/v1/live') opened.push(Date.now())
  }
  page.on('request', onRequest)
  try {
    // Refused (the server is full, say): the page waits, checks it is still signed in, and opens the stream again.
    await page.route('**/api/v1/live', (route) => route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '5' }, body: '{"error":"too many live view clients"}' }), { times: 1 })
    await page.reload()
    await page.getByRole('status').filter({ hasText: 'Connection lost; reconnecting…' }).waitFor()
    await shot(page, 'live-06-reconnecting')
    await live().waitFor({ timeout: 10000 })
    assert.equal(opened.length, 2, 'the refused stream, then the one that worked')

    // Ended (a proxy closed it, the server dropped a slow client): what the
    // old stream showed goes with the new snapshot. The old one, in the
    // server's shapes: a call queued for a group for 65 s, and its queue.
    const group = await api('POST', '/groups', { name: 'Night desk', description: '', member_ids: [made.user] })
    assert.equal(group.status, 201, JSON.stringify(group.body))
    made.group = group.body.id
    const queue = `group ${group.body.id}`
    const ghost = { id: 999999, call_id: 'ghost', direction: 'inbound', from: '+15550000000', to: number, status: 'queued', queue, started_at: new Date(Date.now() - 65_000).toISOString(), since: new Date(Date.now() - 5_000).toISOString() }
    const stream =
      'retry: 4000\n\n' +
      `event: snapshot\ndata: ${JSON.stringify({ calls: [ghost], queues: [], online: [] })}\n\n` +
      `event: queue\ndata: ${JSON.stringify({ queue, kind: 'group', id: group.body.id, waiting: 1 })}\n\n`
    await page.route('**/api/v1/live', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: stream }), { times: 1 })
    opened.length = 0
    await page.reload()
    const row = page.locator('tr[data-live-call="ghost"]')
    await row.waitFor()
    // Queues and groups by name (once the page has the names: until then
    // "Group #3"); the duration counts from the call's start, not from when the page heard of it.
    await row.locator('td[data-label="Where"]').filter({ hasText: 'Night desk' }).waitFor()
    assert.match(await row.locator('td[data-label="Where"]').innerText(), /^Waiting in queue\s+in the queue of Night desk$/)
    assert.ok(seconds(await row.locator('[data-duration]').innerText()) >= 65)
    assert.match(await page.locator(`li[data-queue="${queue}"]`).innerText(), /^Night desk\s+Phone group\s+1 waiting$/)
    await page.getByRole('status').filter({ hasText: 'Connection lost; reconnecting…' }).waitFor()
    await shot(page, 'live-07-stream-ended-queue')
    await row.waitFor({ state: 'detached', timeout: 10000 })
    await live().waitFor()
    await page.getByText('No calls right now').waitFor()
    assert.ok(opened.length >= 2, `the stream was opened ${opened.length} times`)
  } finally {
    page.off('request', onRequest)
    await page.unroute('**/api/v1/live')
  }
  assert.deepEqual(
    b.problems.filter((p) => !/503|\/api\/v1\/live/.test(p)),
    [],
  )
})
