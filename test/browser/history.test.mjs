// The call history in a real browser: owners by name, costs in credits,
// period presets and the voicemail filter kept in the address (shared,
// reloaded), each filter change cancelling the request for the last, the CSV
// of the filtered view checked row by row against the API, and a recording
// played. Real calls (sipp) make the history: a carrier's call that leaves a
// voicemail, and a phone user's call to a colleague whose phone is off.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, afterEach, before, test } from 'node:test'
import { axe, carrierCall, carrierLine, launch, placeCall, programToken, shot, signIn } from './harness.mjs'

let b, page, api
const made = { users: [] }
let line // the carrier, number and flow the calls come through
let voicemail // the voicemail call's record, as the API has it
let missed // the missed call's record

const carrierIP = '127.0.83.3'
const number = '+15550083001'

/** shown writes the API's decimal credits as the app shows them ("0.2" -> "0.20", "1234.5" -> "1,234.50"). */
function shown(s) {
  const [w, f = ''] = s.split('.')
  return w.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + f.padEnd(2, '0')
}

/** csvRows reads RFC 4180 CSV: quoted cells may hold commas, quotes and line breaks. */
function csvRows(text) {
  const rows = []
  let row = [], cell = '', quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') row.push(cell), (cell = '')
    else if (ch === '\n') row.push(cell.replace(/\r$/, '')), rows.push(row), (row = []), (cell = '')
    else cell += ch
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}

/** dayRange is the API's from/to for the days the browser calls today (0) or yesterday (-1): local midnights. */
const dayRange = (days) =>
  page.evaluate((days) => {
    const n = new Date()
    return { from: new Date(n.getFullYear(), n.getMonth(), n.getDate() + days).toISOString(), to: new Date(n.getFullYear(), n.getMonth(), n.getDate() + days + 1).toISOString() }
  }, days)

/** listed is the ids of the calls the API lists for query, newest first. */
async function listed(query) {
  const r = await api('GET', '/calls?' + new URLSearchParams({ limit: '500', ...query }))
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.calls
}

/** shownIds is the ids of the calls the page lists, once its list is no longer loading. */
async function shownIds() {
  await page.locator('.calls-list[aria-busy="true"]').waitFor({ state: 'detached' })
  return page.locator('tr[data-call]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.call)))
}

/** sameList waits until the page lists exactly the calls in want (ids, newest first). */
async function sameList(want) {
  const ids = want.map((c) => c.id)
  if (ids.length === 0) {
    await page.getByRole('heading', { name: /^No (calls|voicemail messages) match these filters$/ }).waitFor()
    return
  }
  await page.waitForFunction((ids) => {
    const busy = document.querySelector('.calls-list[aria-busy="true"]')
    const got = [...document.querySelectorAll('tr[data-call]')].map((r) => Number(r.dataset.call))
    return !busy && got.length === ids.length && got.every((id, i) => id === ids[i])
  }, ids)
}

before(async () => {
  b = await launch()
  page = b.page
  await signIn(page)
  api = await programToken(page, 'history browser test')

  for (const [name, extension] of [
    ['Erin Egan', '2001'],
    ['Finn Ford', '2002'],
  ]) {
    const u = await api('POST', '/users', { name, extension, sip_password: `${extension}-secret-pw`, allow_outbound: true })
    assert.equal(u.status, 201, JSON.stringify(u.body))
    made.users.push(u.body)
  }
  line = await carrierLine(api, {
    name: 'History line',
    ip: carrierIP,
    number,
    states: [
      { id: 'start', type: 'start' },
      { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' }, max_seconds: 3 },
    ],
    connections: [{ from: 'start', outcome: 'next', to: 'vm' }],
  })

  await carrierCall({ ip: carrierIP, number, caller: '+15550083099', scenario: 'voicemail-uac.xml' })
  await placeCall({ from: '2001', password: '2001-secret-pw', to: '2002', scenario: 'missed-call-uac.xml' })
  for (let i = 0; i < 50 && !(voicemail && missed); i++) {
    const calls = await listed({})
    voicemail = calls.find((c) => c.voicemail && c.from === '+15550083099')
    missed = calls.find((c) => c.type === 'missed' && c.owner_user_id === made.users[1].id)
    if (!(voicemail && missed)) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(voicemail?.has_recording, `the voicemail is in the history with its recording: ${JSON.stringify(voicemail)}`)
  assert.ok(missed, 'the missed call is in the history')
})

after(async () => {
  if (api) {
    await line?.remove()
    for (const u of made.users) await api('DELETE', `/users/${u.id}`)
    await api.revoke()
  }
  await b?.close()
})

afterEach(async () => {
  await page.setViewportSize({ width: 1280, height: 800 })
})

test('names each call’s owner and shows what it cost in credits', async () => {
  await page.goto('/telephony/calls')
  const row = (c) => page.locator(`tr[data-call="${c.id}"]`)
  await row(missed).filter({ hasText: 'Finn Ford' }).waitFor()
  assert.match(await row(missed).locator('td[data-label="Owner"]').innerText(), /^Finn Ford\s+Ext\. 2002$/)

  // The carrier's call was charged: credits as the API counts them, not micro-credits.
  assert.match(voicemail.credits_charged, /^\d+(\.\d+)?$/)
  assert.ok(/[1-9]/.test(voicemail.credits_charged), `the inbound call cost something: ${JSON.stringify(voicemail)}`)
  const cost = (await row(voicemail).locator('td[data-label="Credits"]').innerText()).split('\n')[0].trim()
  assert.equal(cost, shown(voicemail.credits_charged))
  // An internal call nobody answered is free.
  assert.equal((await row(missed).locator('td[data-label="Credits"]').innerText()).trim(), 'Free')
  await shot(page, 'history-01-owners-credits')
})

test('filters by a period preset; the address carries it and a reload keeps it', async () => {
  await page.goto('/telephony/calls')
  await page.locator('tr[data-call]').first().waitFor()
  await page.getByLabel('Period', { exact: true }).selectOption({ label: 'Today' })
  await page.waitForURL((u) => u.searchParams.get('period') === 'today')
  const today = await dayRange(0)
  const todays = await listed(today)
  assert.ok(todays.some((c) => c.id === voicemail.id) && todays.some((c) => c.id === missed.id), 'the calls just made are today’s')
  await sameList(todays)
  // The date inputs show the days the preset covers.
  const ymd = await page.evaluate(() => {
    const n = new Date()
    return `${n.getFullYear()}-${String(n.getMonth() + 1).padStart(2, '0')}-${String(n.getDate()).padStart(2, '0')}`
  })
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), ymd)
  assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), ymd)

  // The list asked the API for the local day, and the CSV link asks for the same.
  const csv = new URL(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href'), page.url())
  assert.deepEqual(Object.fromEntries(csv.searchParams), today)

  await page.reload()
  assert.equal(await page.getByLabel('Period', { exact: true }).inputValue(), 'today')
  await sameList(todays)
  await shot(page, 'history-02-today')

  await page.getByLabel('Period', { exact: true }).selectOption({ label: 'Yesterday' })
  await page.waitForURL((u) => u.searchParams.get('period') === 'yesterday')
  await sameList(await listed(await dayRange(-1)))

  // Editing a date makes the period a custom one, in the address too.
  await page.getByLabel('Period', { exact: true }).selectOption({ label: 'Today' })
  await page.getByLabel('From', { exact: true }).fill('2020-01-01')
  await page.waitForURL((u) => u.searchParams.get('from') === '2020-01-01' && u.searchParams.get('to') === ymd && !u.searchParams.has('period'))
  // The address changes first; the page follows it on its next render.
  await page.waitForFunction(() => document.querySelector('#calls-period')?.value === 'custom')
  await sameList(await listed({ from: await page.evaluate(() => new Date(2020, 0, 1).toISOString()), to: today.to }))
})

test('lists voicemail messages on their own, in a view that can be shared', async () => {
  await page.goto('/telephony/calls?period=today')
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Voicemail messages' })
  await page.waitForURL((u) => u.searchParams.get('type') === 'voicemail' && u.searchParams.get('period') === 'today')
  const messages = await listed({ voicemail: 'true', ...(await dayRange(0)) })
  assert.ok(messages.length >= 1 && messages.every((c) => c.voicemail))
  assert.ok(messages.some((c) => c.id === voicemail.id))
  await sameList(messages)
  for (const id of await shownIds()) assert.match(await page.locator(`tr[data-call="${id}"] td.recording .tag`).textContent(), /^Voicemail$/)
  assert.equal(await page.locator(`tr[data-call="${missed.id}"]`).count(), 0)
  await shot(page, 'history-03-voicemail')

  // The address is the view: another tab opened on it shows the same.
  const shared = page.url()
  const other = await b.context.newPage()
  try {
    await other.goto(shared)
    assert.equal(await other.getByLabel('Type', { exact: true }).inputValue(), 'voicemail')
    assert.equal(await other.getByLabel('Period', { exact: true }).inputValue(), 'today')
    await other.locator(`tr[data-call="${voicemail.id}"]`).waitFor()
    assert.equal(await other.locator('tr[data-call]').count(), messages.length)
  } finally {
    await other.close()
  }

  // Clear filters empties the address.
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.waitForURL((u) => u.search === '')
  await page.locator(`tr[data-call="${missed.id}"]`).waitFor()
})

test('cancels the request for a filter the admin has already changed', async () => {
  await page.goto('/telephony/calls')
  await page.locator('tr[data-call]').first().waitFor()
  // The answer for "Outgoing" is held back, so the admin changes the filter before it comes.
  let release
  const held = new Promise((r) => (release = r))
  await page.route(
    (u) => u.pathname === '/api/v1/calls' && u.searchParams.get('type') === 'outgoing',
    async (route) => {
      await held
      await route.continue().catch(() => {}) // the page may have given up on it: that is the point
    },
  )
  const failed = page.waitForEvent('requestfailed', (r) => new URL(r.url()).searchParams.get('type') === 'outgoing')
  const asked = page.waitForRequest((r) => new URL(r.url()).searchParams.get('type') === 'outgoing')
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Outgoing' })
  await asked
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Missed' })
  const gone = await failed
  assert.match(gone.failure()?.errorText ?? '', /abort|cancel/i)
  release()
  await page.unroute((u) => u.pathname === '/api/v1/calls')
  await sameList(await listed({ type: 'missed' }))
  assert.equal(await page.getByLabel('Type', { exact: true }).inputValue(), 'missed')
})

test('downloads the filtered view as CSV, its rows those the API lists', async () => {
  await page.goto('/telephony/calls?period=today&type=voicemail')
  await page.locator(`tr[data-call="${voicemail.id}"]`).waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()])
  assert.equal(download.suggestedFilename(), 'calls.csv')
  const rows = csvRows(readFileSync(await download.path(), 'utf8'))
  const [head, ...body] = rows
  const col = (name) => {
    const i = head.indexOf(name)
    assert.ok(i >= 0, `the CSV has a ${name} column: ${head}`)
    return i
  }
  const want = await listed({ voicemail: 'true', ...(await dayRange(0)) })
  assert.deepEqual(
    body.map((r) => Number(r[col('id')])),
    want.map((c) => c.id),
  )
  for (const [i, c] of want.entries()) {
    const r = body[i]
    assert.deepEqual(
      { type: r[col('type')], from: r[col('from')], to: r[col('to')], owner: r[col('owner_user_id')], credits: r[col('credits_charged')], seconds: r[col('recording_seconds')], started: Date.parse(r[col('started_at')]) },
      { type: c.type, from: c.from, to: c.to, owner: c.owner_user_id === null ? '' : String(c.owner_user_id), credits: c.credits_charged, seconds: String(c.recording_seconds), started: Math.floor(Date.parse(c.started_at) / 1000) * 1000 }, // whole seconds in the CSV
    )
  }

  // Without filters the file holds every call, as many as the API counts.
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.waitForURL((u) => u.search === '')
  const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()])
  const total = (await api('GET', '/calls?limit=1')).body.total
  assert.equal(csvRows(readFileSync(await all.path(), 'utf8')).length - 1, total)
})

test('plays a recording', async () => {
  await page.goto('/telephony/calls?type=voicemail')
  const audio = page.locator(`tr[data-call="${voicemail.id}"] audio`)
  await audio.waitFor()
  assert.equal(await audio.getAttribute('aria-label'), 'Voicemail of the call from +15550083099')
  const heard = await audio.evaluate(
    (a) =>
      new Promise((resolve, reject) => {
        a.onerror = () => reject(new Error('the player could not load the message: ' + a.error?.message))
        a.ontimeupdate = () => {
          if (a.currentTime > 0.3) {
            a.pause()
            resolve({ duration: a.duration, at: a.currentTime })
          }
        }
        // Muted, a page may play without a click; the sound is not what is checked.
        a.muted = true
        a.play().catch(reject)
      }),
  )
  assert.ok(heard.duration > 0, `the player says the message lasts ${heard.duration} s`)
  assert.ok(Math.abs(heard.duration - voicemail.recording_seconds) < 0.1, `the player says ${heard.duration} s, the record ${voicemail.recording_seconds} s`)
  assert.ok(heard.at > 0.3, 'the message played')
  await shot(page, 'history-04-played')
})

test('is usable at phone width and passes the accessibility checks', async () => {
  await page.goto('/telephony/calls?period=today')
  await page.locator(`tr[data-call="${voicemail.id}"]`).waitFor()
  assert.deepEqual(await axe(page), [])
  await page.setViewportSize({ width: 375, height: 740 })
  await page.locator(`tr[data-call="${voicemail.id}"]`).waitFor()
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the call history scrolls sideways at 375px')
  assert.deepEqual(await axe(page), [])
  await shot(page, 'history-05-phone-375')
  // The filters work from the keyboard alone.
  await page.getByLabel('Type', { exact: true }).focus()
  await page.keyboard.press('ArrowDown') // Incoming
  await page.waitForURL((u) => u.searchParams.get('type') === 'incoming')
  assert.deepEqual(b.problems, [])
})
