// Phone numbers and SIP trunks in a real browser: buying a number through
// the wizard (refused without credit, then bought), linking it to a call
// flow, deleting it; adding, editing and deleting a trunk, refused while a
// number comes from it; the live registration state. The carrier's offer of
// numbers is loaded through the API, as a carrier integration would.
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { axe, launch, programToken, shot, signIn } from './harness.mjs'

let b, page

/** micro reads the API's decimal credits ("12.5") as exact micro-credits. */
function micro(s) {
  const [w, f = ''] = s.split('.')
  return BigInt(w || '0') * 1000000n + BigInt((f + '000000').slice(0, 6))
}
/** shown writes micro-credits as the app shows them ("1,234.50"). */
function shown(m) {
  const f = (m % 1000000n).toString().padStart(6, '0').replace(/0+$/, '')
  return (m / 1000000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + f.padEnd(2, '0')
}

/**
 * api calls the REST API as a program would, with a token of its own made in
 * the admin's session: the bootstrap token stops being one once
 * admin.test.mjs has set a password.
 */
let api

const price = '12.5' // more than the test server's wallet holds at first
const wanted = '+15550071001'
let carrier, flow, start

before(async () => {
  b = await launch()
  page = b.page
  await signIn(page)
  api = await programToken(page, 'numbers test')
  assert.match(api.token ?? '', /^pbx_/)

  carrier = await api('POST', '/trunks', { name: 'Numbers carrier', host: '127.0.58.3', inbound_cidrs: ['127.0.58.3'] })
  assert.equal(carrier.status, 201, JSON.stringify(carrier.body))
  const offer = await api('POST', '/numbers/available', {
    numbers: [
      { e164: wanted, trunk_id: carrier.body.id, country: 'US', type: 'local', region: 'Springfield', monthly_price: price },
      { e164: '+15550071002', trunk_id: carrier.body.id, country: 'US', type: 'local', region: 'Shelbyville', monthly_price: '3' },
      { e164: '+18005550171', trunk_id: carrier.body.id, country: 'US', type: 'toll_free', monthly_price: '8' },
      { e164: '+447700900171', trunk_id: carrier.body.id, country: 'GB', type: 'mobile', monthly_price: '6', address_required: true },
    ],
  })
  assert.equal(offer.status, 201, JSON.stringify(offer.body))
  flow = await api('POST', '/flows', {
    name: 'Sales line',
    states: [
      { id: 'start', type: 'start' },
      { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' } },
    ],
    connections: [{ from: 'start', outcome: 'next', to: 'vm' }],
  })
  assert.equal(flow.status, 201, JSON.stringify(flow.body))
  start = micro((await api('GET', '/wallet')).body.balance)
  assert.ok(start < micro(price), `the wallet holds less than ${price} credits at first (${shown(start)})`)
  await page.getByRole('link', { name: 'Phone numbers' }).click()
  await page.waitForURL('**/telephony/numbers')
})

after(async () => {
  await api?.revoke()
  await b?.close()
})

afterEach(async () => {
  if (await page.getByRole('dialog').count()) await page.keyboard.press('Escape')
})

const dialog = () => page.getByRole('dialog')
const row = (e164) => page.locator(`tr[data-number="${e164}"]`)
const headerBalance = (m) => page.getByRole('banner').getByRole('link', { name: `Balance: ${shown(m)} credits` })
/** fieldError is the message shown beside the input labelled label. */
const fieldError = (label) => dialog().locator('.field').filter({ has: page.locator('label', { hasText: new RegExp(`^${label}$`) }) }).locator('.field-error')

/** wizard goes through the steps to the summary of the wanted number. */
async function wizard() {
  await page.getByRole('button', { name: 'Buy a number' }).first().click()
  await dialog().getByRole('heading', { name: 'Buy a phone number' }).waitFor()
  // Nothing chosen: the step says what is missing.
  await dialog().getByRole('button', { name: 'Next' }).click()
  await fieldError('Country').getByText('Choose a country.').waitFor()
  await dialog().getByLabel('Country').selectOption({ label: 'United States' })
  // Only what the carriers offer in that country can be chosen, with its lowest price.
  assert.ok(await dialog().getByLabel(/^Mobile/).isDisabled(), 'no mobile numbers are on offer in the US')
  await dialog().getByText('from 3.00 credits / month').waitFor()
  await dialog().getByLabel(/^Local/).check()
  await dialog().getByRole('button', { name: 'Next' }).click()
  await dialog().getByLabel('Region').selectOption('Springfield')
  await dialog().getByRole('button', { name: 'Next' }).click()
  await dialog().getByLabel(new RegExp(`^\\${wanted}`)).check()
  await dialog().getByRole('button', { name: 'Review' }).click()
  const summary = dialog().locator('dl.summary')
  await summary.waitFor()
  assert.match(await summary.innerText(), new RegExp(`Number\\s+\\${wanted}[\\s\\S]*Region\\s+Springfield[\\s\\S]*Monthly price\\s+12\\.50 credits / month[\\s\\S]*Charged now\\s+12\\.50 credits`))
}

test('buying a number without enough credits is refused plainly, and charges nothing', async () => {
  await wizard()
  await shot(page, 'numbers-01-wizard-summary')
  await dialog().getByRole('button', { name: 'Buy for 12.50 credits' }).click()
  const refusal = dialog().getByRole('alert')
  await refusal.getByText(`Not enough credits: the first month costs 12.50 credits and ${shown(start)} are available.`).waitFor()
  await shot(page, 'numbers-02-wizard-402')
  assert.equal(micro((await api('GET', '/wallet')).body.balance), start)
  assert.equal(
    (await api('GET', '/numbers')).body.numbers.find((n) => n.e164 === wanted),
    undefined,
  )
  // The refusal leads to where credits are bought.
  await refusal.getByRole('link', { name: 'Buy credits' }).click()
  await page.waitForURL('**/telephony/plan')
})

test('buys a number through the wizard: the list shows it with its price, and the balance pays the first month', async () => {
  await page.getByRole('button', { name: 'Buy credits' }).click()
  await dialog().getByLabel('Credits', { exact: true }).fill(price)
  await dialog().getByRole('button', { name: /^Pay 12\.50/ }).click()
  await dialog().waitFor({ state: 'detached' })
  await headerBalance(start + micro(price)).waitFor()

  await page.getByRole('link', { name: 'Phone numbers' }).click()
  await wizard()
  assert.match(await dialog().locator('dl.summary').innerText(), new RegExp(`Available credits\\s+${shown(start + micro(price)).replace('.', '\\.')}`))
  await dialog().getByRole('button', { name: 'Buy for 12.50 credits' }).click()
  await page.getByRole('status').filter({ hasText: `${wanted} is yours, for 12.50 credits a month.` }).waitFor()
  await row(wanted).waitFor()
  assert.match(await row(wanted).innerText(), /Local[\s\S]*United States[\s\S]*Springfield[\s\S]*12\.50 credits/)
  assert.match(await row(wanted).innerText(), /Calls to it are rejected/)
  await headerBalance(start).waitFor()
  assert.equal(micro((await api('GET', '/wallet')).body.balance), start)
  // It left the offer.
  assert.equal((await api('GET', '/numbers/available?country=US&region=Springfield')).body.numbers.length, 0)
  await shot(page, 'numbers-03-bought')
})

test('asks for an address where the carrier needs one, and shows it in the summary', async () => {
  await page.getByRole('button', { name: 'Buy a number' }).first().click()
  await dialog().getByLabel('Country').selectOption({ label: 'United Kingdom' })
  await dialog().getByLabel(/^Mobile/).check()
  await dialog().getByRole('button', { name: 'Next' }).click()
  await dialog().getByRole('button', { name: 'Next' }).click()
  await fieldError('Address').getByText('Enter the address the number is registered to.').waitFor()
  await dialog().getByLabel('Address').fill('1 High Street, Leeds LS1 1AA')
  await dialog().getByRole('button', { name: 'Next' }).click()
  await dialog().getByLabel(/^\+447700900171/).check()
  await dialog().getByRole('button', { name: 'Review' }).click()
  assert.match(await dialog().locator('dl.summary').innerText(), /Address\s+1 High Street, Leeds LS1 1AA[\s\S]*Monthly price\s+6\.00 credits/)
  await shot(page, 'numbers-04-wizard-address')
  await dialog().getByRole('button', { name: 'Close' }).click()
  await dialog().waitFor({ state: 'detached' })
})

test('associates the number with a call flow', async () => {
  await row(wanted).getByLabel(`Call flow for ${wanted}`).selectOption({ label: 'Sales line' })
  await page.getByText(`${wanted} is now answered by the call flow Sales line.`).waitFor()
  const n = (await api('GET', '/numbers')).body.numbers.find((x) => x.e164 === wanted)
  assert.equal(n.flow_id, flow.body.id)
  // The row follows once the list is read again, a moment after the notice.
  await row(wanted).getByText('Calls to it are rejected').waitFor({ state: 'detached' })
  // The flow lists it as its number too.
  assert.deepEqual((await api('GET', `/flows/${flow.body.id}`)).body.numbers, [wanted])
  await shot(page, 'numbers-05-flow')
})

test('deletes the number; the confirmation says its monthly charge stops', async () => {
  await row(wanted).getByRole('button', { name: `Delete ${wanted}` }).click()
  await dialog().getByRole('heading', { name: `Delete ${wanted}?` }).waitFor()
  await dialog().getByText('Its monthly charge of 12.50 credits stops').waitFor()
  await shot(page, 'numbers-06-delete-confirm')
  // Escape backs out and nothing is deleted.
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })
  assert.ok((await api('GET', '/numbers')).body.numbers.some((n) => n.e164 === wanted))

  await row(wanted).getByRole('button', { name: `Delete ${wanted}` }).click()
  await dialog().getByRole('button', { name: 'Delete number' }).click()
  await page.getByText(`${wanted} was deleted.`).waitFor()
  await row(wanted).waitFor({ state: 'detached' })
  assert.ok(!(await api('GET', '/numbers')).body.numbers.some((n) => n.e164 === wanted))
  // Back on offer, for someone to buy again.
  assert.deepEqual(
    (await api('GET', '/numbers/available?country=US&region=Springfield')).body.numbers.map((n) => n.e164),
    [wanted],
  )
})

test('adds a SIP trunk from the link on Phone numbers, showing the server\'s refusal on its field', async () => {
  await page.getByRole('link', { name: 'Manage SIP trunks' }).click()
  await page.waitForURL('**/settings/trunks')
  await page.locator('tr[data-trunk="Numbers carrier"]').waitFor()
  await page.getByRole('button', { name: 'Add trunk' }).first().click()
  await dialog().getByLabel('Name', { exact: true }).fill('Acme Telecom')
  await dialog().getByLabel('Host', { exact: true }).fill('not a host!')
  await dialog().getByLabel('Calls come from').fill('127.0.58.4\n300.1.2.3')
  await dialog().getByRole('button', { name: 'Add trunk' }).click()
  await fieldError('Host').getByText('must be an IP address or a host name').waitFor()
  await fieldError('Calls come from').getByText('"300.1.2.3" is not an address or network').waitFor()
  assert.ok(await dialog().getByLabel('Host', { exact: true }).evaluate((el) => el === document.activeElement), 'focus goes to the first refused field, Host')
  await shot(page, 'trunks-01-refused')
  await dialog().getByLabel('Host', { exact: true }).fill('127.0.58.4')
  await dialog().getByLabel('Calls come from').fill('127.0.58.4')
  await dialog().getByRole('button', { name: 'Add trunk' }).click()
  await page.getByText('The trunk Acme Telecom was added.').waitFor()
  const acme = page.locator('tr[data-trunk="Acme Telecom"]')
  assert.match(await acme.innerText(), /127\.0\.58\.4:5060 over UDP[\s\S]*127\.0\.58\.4[\s\S]*E\.164[\s\S]*Not registering/)
})

test('edits the trunk', async () => {
  const acme = page.locator('tr[data-trunk="Acme Telecom"]')
  await acme.getByRole('button', { name: 'Edit Acme Telecom' }).click()
  await dialog().getByLabel('Port', { exact: true }).fill('5080')
  await dialog().getByLabel('Caller ID format').selectOption('national')
  await shot(page, 'trunks-02-edit')
  await dialog().getByRole('button', { name: 'Save changes' }).click()
  await page.getByText('The trunk Acme Telecom was saved.').waitFor()
  assert.match(await acme.innerText(), /127\.0\.58\.4:5080 over UDP[\s\S]*National/)
  const t = (await api('GET', '/trunks')).body.trunks.find((x) => x.name === 'Acme Telecom')
  assert.equal(t.port, 5080)
  assert.equal(t.caller_id_format, 'national')
})

test('refuses to delete a trunk a number comes from, naming the number', async () => {
  const t = (await api('GET', '/trunks')).body.trunks.find((x) => x.name === 'Acme Telecom')
  const num = await api('POST', '/numbers', { e164: '+15550071999', type: 'toll_free', country: 'US', trunk_id: t.id })
  assert.equal(num.status, 201, JSON.stringify(num.body))
  const acme = page.locator('tr[data-trunk="Acme Telecom"]')
  await acme.getByRole('button', { name: 'Delete Acme Telecom' }).click()
  await dialog().getByRole('button', { name: 'Delete trunk' }).click()
  const refusal = dialog().getByRole('alert')
  await refusal.getByText('Delete those numbers, or move them to another trunk, first.').waitFor()
  assert.deepEqual(await refusal.getByRole('list', { name: 'Phone numbers that use it' }).getByRole('listitem').allInnerTexts(), ['+15550071999'])
  await shot(page, 'trunks-03-delete-refused')
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'detached' })
  assert.ok((await api('GET', '/trunks')).body.trunks.some((x) => x.name === 'Acme Telecom'))

  assert.equal((await api('DELETE', `/numbers/${num.body.id}`)).status, 204)
  await acme.getByRole('button', { name: 'Delete Acme Telecom' }).click()
  await dialog().getByRole('button', { name: 'Delete trunk' }).click()
  await page.getByText('The trunk Acme Telecom was deleted.').waitFor()
  await acme.waitFor({ state: 'detached' })
})

test('shows a registering trunk\'s state live, with the carrier\'s refusal', async () => {
  // Nothing answers SIP at this address: the registration fails, and the list, read again by itself, says so.
  await page.getByRole('button', { name: 'Add trunk' }).first().click()
  await dialog().getByLabel('Name', { exact: true }).fill('Registering carrier')
  await dialog().getByLabel('Host', { exact: true }).fill('127.0.58.5')
  await dialog().getByLabel('Port', { exact: true }).fill('5099')
  await dialog().getByLabel('Register to the carrier').check()
  await dialog().getByRole('button', { name: 'Add trunk' }).click()
  // The server's rule: registering needs a username and a password.
  await dialog().locator('.check .field-error', { hasText: 'needs a username and a password' }).waitFor()
  await dialog().getByLabel('Username', { exact: true }).fill('pbx-test')
  await dialog().getByLabel('Password', { exact: true }).fill('carrier-secret')
  await dialog().getByRole('button', { name: 'Add trunk' }).click()
  await page.getByText('The trunk Registering carrier was added.').waitFor()
  const reg = page.locator('tr[data-trunk="Registering carrier"]')
  await reg.locator('[data-registration="failed"]').waitFor({ timeout: 40000 })
  assert.match(await reg.innerText(), /Not registered\s+no answer from 127\.0\.58\.5:5099 within 10 s; tried again every 30 seconds/)
  await shot(page, 'trunks-04-registration-failed')
  await reg.getByRole('button', { name: 'Delete Registering carrier' }).click()
  await dialog().getByRole('button', { name: 'Delete trunk' }).click()
  await reg.waitFor({ state: 'detached' })
})

test('works at phone width and at desktop width, with no serious accessibility violations', async () => {
  // A number added by hand, answered by a flow: not billed here.
  const hand = await api('POST', '/numbers', { e164: '+15550071888', type: 'local', country: 'US', region: 'Springfield', flow_id: flow.body.id })
  assert.equal(hand.status, 201, JSON.stringify(hand.body))
  for (const [name, check] of [
    ['trunks', async () => page.locator('tr[data-trunk="Numbers carrier"]').waitFor()],
    ['numbers', async () => page.locator('table[aria-label="Phone numbers"]').waitFor()],
  ]) {
    if (name === 'numbers') {
      await page.getByRole('link', { name: 'Telephony' }).click()
      await page.getByRole('link', { name: 'Phone numbers' }).click()
    }
    await check()
    assert.deepEqual(await axe(page), [], name)
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 800 })
      await check()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${width} px`)
      await shot(page, `${name}-${width}`)
    }
    // The form dialogs, at phone width too.
    await page.getByRole('button', { name: name === 'numbers' ? 'Buy a number' : 'Add trunk' }).first().click()
    await dialog().waitFor()
    if (name === 'numbers') await dialog().getByLabel('Country').selectOption({ label: 'United States' })
    assert.deepEqual(await axe(page), [], name + ' dialog')
    await page.setViewportSize({ width: 375, height: 800 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(overflow <= 0, `the ${name} dialog scrolls sideways by ${overflow}px at 375 px`)
    await shot(page, `${name}-dialog-375`)
    await page.keyboard.press('Escape')
    await dialog().waitFor({ state: 'detached' })
    await page.setViewportSize({ width: 1280, height: 800 })
  }
  assert.deepEqual(b.problems, [])
})
