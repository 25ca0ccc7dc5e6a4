// Call flows in a real browser: the list, a flow built entirely with the
// mouse in the builder (with the rules refusing what they must, visibly),
// publishing with the server's violations on the states, a real carrier
// call following the published flow, the draft compared with the
// published version, and a call simulated through the draft. The tests run
// in order and share one browser, as one administrator's visit would.
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { axe, carrierCall, launch, programToken, shot, signIn } from './harness.mjs'

let b, page
const carrierIP = '127.0.59.2'
const number = '+15550059001'
let flowId, group, user

/**
 * api calls the REST API as a program would, with an API token the signed-in
 * admin made: once admin.test.mjs has set a password, the bootstrap token is
 * no bearer token any more.
 */
let api

before(async () => {
  b = await launch()
  page = b.page
  await page.setViewportSize({ width: 1440, height: 1000 })
  await signIn(page)
  api = await programToken(page, 'Call flows browser test')
  assert.match(api.token ?? '', /^pbx_/)
  // What the flow rings and where its calls come from, set up as a program would.
  user = (await api('POST', '/users', { name: 'Sam Support', extension: '1301', sip_username: 'sam1301', sip_password: 'sam-secret-1301' })).body
  assert.ok(user?.id, JSON.stringify(user))
  group = (await api('POST', '/groups', { name: 'Support', description: 'First line', member_ids: [user.id] })).body
  assert.ok(group?.id, JSON.stringify(group))
  const trunk = await api('POST', '/trunks', { name: 'Flow carrier', host: carrierIP, inbound_cidrs: [carrierIP] })
  assert.equal(trunk.status, 201, JSON.stringify(trunk.body))
  const num = await api('POST', '/numbers', { e164: number, type: 'local', country: 'US', region: 'Flows', trunk_id: trunk.body.id })
  assert.equal(num.status, 201, JSON.stringify(num.body))
  // Inbound calls cost credits (the example rates): buy a few when the tests before have not.
  const wallet = await api('GET', '/wallet')
  assert.equal(wallet.status, 200, JSON.stringify(wallet.body))
  if (Number(wallet.body.balance) < 1) {
    const quote = await api('POST', '/wallet/quotes', { credits: '2' })
    assert.equal(quote.status, 201, JSON.stringify(quote.body))
    assert.equal((await api('POST', '/wallet/purchases', { quote_id: quote.body.id })).status, 201)
  }
})

after(async () => {
  await b?.close()
})

afterEach(async () => {
  if (await page.getByRole('dialog').count()) await page.keyboard.press('Escape')
  assert.deepEqual(b.problems.splice(0), [], 'the page logged no errors')
})

const canvas = () => page.locator('.flow-canvas')
const node = (id) => page.locator(`.react-flow__node[data-id="${id}"]`)
const refusal = () => page.locator('[data-refusal]')

/** drop drags a state type from the palette onto the canvas at (x, y) of the canvas, as a person would with the mouse. */
async function drop(type, x, y) {
  await page.locator(`[data-palette="${type}"]`).dragTo(canvas(), { targetPosition: { x, y } })
}

/** connect draws a connection with the mouse from the exit handle of one state to the input of another. */
async function connect(from, exit, to) {
  const src = node(from).locator(`[data-exit="${exit}"] .react-flow__handle`)
  const dst = node(to).locator('.react-flow__handle.in-handle')
  const a = await src.boundingBox()
  const z = await dst.boundingBox()
  assert.ok(a && z, `handles of ${from}.${exit} and ${to} are on screen`)
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move((a.x + z.x) / 2, (a.y + z.y) / 2, { steps: 5 })
  await page.mouse.move(z.x + z.width / 2, z.y + z.height / 2, { steps: 5 })
  await page.mouse.up()
}

const edge = (from, exit) => page.locator(`.react-flow__edge[data-id="${from}:${exit}"]`)

/** clickEdge clicks halfway along a connection's path, where a person would aim. */
async function clickEdge(from, exit) {
  const p = await edge(from, exit)
    .locator('path.react-flow__edge-interaction')
    .evaluate((el) => {
      const pt = el.getPointAtLength(el.getTotalLength() / 2)
      const m = el.getScreenCTM()
      return { x: pt.x * m.a + pt.y * m.c + m.e, y: pt.x * m.b + pt.y * m.d + m.f }
    })
  await page.mouse.click(p.x, p.y)
}

/** noSidewaysScroll says the page fits the viewport's width. */
async function noSidewaysScroll() {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px window`)
}

test('creates a flow from the list, with its number, and opens the builder', async () => {
  await page.getByRole('link', { name: 'Call flows' }).click()
  await page.getByRole('button', { name: 'Create flow' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Name', { exact: true }).fill('Support line')
  await dialog.getByLabel('Description', { exact: true }).fill('Main number')
  await dialog.getByLabel(number).check()
  await dialog.getByRole('button', { name: 'Create and open the builder' }).click()
  await page.getByRole('heading', { name: 'Support line' }).waitFor()
  flowId = Number(new URL(page.url()).pathname.split('/').pop())
  assert.ok(flowId > 0, page.url())
  const { body } = await api('GET', `/flows/${flowId}`)
  assert.deepEqual(body.draft.numbers, [number])
  await page.getByText('Drag Start from the states on the left').waitFor()
})

test('builds start -> IVR -> group, voicemail on timeout, entirely with the mouse; the rules refuse a cycle and a twelfth key', async () => {
  await drop('start', 100, 120)
  await node('start').waitFor()
  await drop('ivr', 430, 120)
  await node('ivr').waitFor()
  await connect('start', 'next', 'ivr')
  await edge('start', 'next').waitFor()

  // Start leads to exactly one state.
  await drop('announce', 720, 120)
  await connect('start', 'next', 'announce')
  await refusal().filter({ hasText: 'Start leads to exactly one state' }).waitFor()
  assert.equal(await edge('start', 'announce').count(), 0)
  await node('announce').click({ position: { x: 60, y: 12 } })
  await page.keyboard.press('Delete')
  await node('announce').waitFor({ state: 'detached' })

  // An IVR menu has the keys 0-9 and *: eleven. The twelfth is refused, and says why.
  const addKey = page.getByRole('button', { name: 'Add a menu key to ivr' })
  for (let i = 0; i < 10; i++) await addKey.click()
  assert.equal(await node('ivr').locator('[data-exit]').count(), 12, 'eleven keys and the timeout')
  await addKey.click()
  await refusal().filter({ hasText: 'A menu has no twelfth key' }).waitFor()
  await shot(page, 'flows-01-twelfth-key-refused')
  assert.equal(await node('ivr').locator('[data-exit]').count(), 12)
  // Undo takes the ten keys back, one edit at a time.
  await canvas().locator('.react-flow__pane').click({ position: { x: 20, y: 500 } })
  for (let i = 0; i < 10; i++) await page.keyboard.press('Control+z')
  assert.deepEqual(await node('ivr').locator('[data-exit]').evaluateAll((els) => els.map((e) => e.dataset.exit)), ['1', 'timeout'])
  await edge('start', 'next').waitFor()

  await drop('transfer_group', 680, 300)
  await drop('voicemail', 430, 560)
  await connect('ivr', '1', 'group')
  await connect('ivr', 'timeout', 'voicemail')
  await connect('group', 'timeout', 'voicemail')
  for (const [f, x] of [['ivr', '1'], ['ivr', 'timeout'], ['group', 'timeout']]) await edge(f, x).waitFor()

  // No cycles: voicemail cannot lead back to the menu that leads to it.
  await connect('voicemail', 'timeout', 'ivr')
  await refusal().filter({ hasText: /close a loop \(ivr → .*voicemail → ivr\)/ }).waitFor()
  assert.equal(await edge('voicemail', 'timeout').count(), 0)
  await shot(page, 'flows-02-cycle-refused')

  // A selected connection shows a trash icon that deletes it; Ctrl+Z brings it back.
  await clickEdge('group', 'timeout')
  await page.getByRole('button', { name: 'Delete the connection Timeout of group to voicemail' }).click()
  await edge('group', 'timeout').waitFor({ state: 'detached' })
  await page.keyboard.press('Control+z')
  await edge('group', 'timeout').waitFor()

  // Options in the side panel: the menu's prompt and the voicemail's.
  await node('ivr').click({ position: { x: 60, y: 12 } })
  await page.getByLabel('Menu announcement text').fill('Press 1 for support.')
  await node('voicemail').click({ position: { x: 60, y: 12 } })
  await page.getByLabel('Greeting before the beep text').fill('Please leave a message.')
  await page.getByLabel('Longest message (seconds)').fill('3')
  // Tidy up lays the states out along the calls' way; the graph stays as drawn.
  await page.getByRole('button', { name: 'Tidy up' }).click()
  await page.getByRole('button', { name: 'Save draft' }).click()
  await page.getByText('Draft saved.').waitFor()
  const { body } = await api('GET', `/flows/${flowId}`)
  assert.deepEqual(
    body.draft.connections.map((c) => `${c.from}.${c.outcome}->${c.to}`).sort(),
    ['group.timeout->voicemail', 'ivr.1->group', 'ivr.timeout->voicemail', 'start.next->ivr'],
  )
  assert.deepEqual(body.draft.states.map((s) => s.type).sort(), ['ivr', 'start', 'transfer_group', 'voicemail'])
  assert.ok(body.draft.states.every((s) => s.position), 'the builder keeps where each state is drawn')
  assert.equal(body.draft.states.find((s) => s.id === 'voicemail').max_seconds, 3)
  await shot(page, 'flows-03-built-by-dragging')
  assert.deepEqual(await axe(page), [])
})

test('publishing shows the server’s violations on the state they name, then publishes', async () => {
  await page.getByRole('button', { name: 'Publish', exact: true }).click()
  await page.getByText('Not published: 1 problem, shown on the states.').waitFor()
  const problems = node('group').getByRole('list', { name: 'Problems with group' })
  await problems.getByText('Group: is required').waitFor()
  await shot(page, 'flows-04-publish-refused')

  await node('group').getByRole('button', { name: 'Actions for state group' }).click()
  await page.getByRole('menuitem', { name: 'Edit' }).click()
  await page.getByLabel('Group to ring').selectOption({ label: 'Support' })
  await page.getByRole('button', { name: 'Publish', exact: true }).click()
  await page.getByText(`Published version 1. Calls to ${number} follow it now.`).waitFor()
  assert.equal(await problems.count(), 0)
  const { body } = await api('GET', `/flows/${flowId}`)
  assert.equal(body.published_version, 1)
  assert.equal(body.published.states.find((s) => s.id === 'group').group_id, group.id)
  assert.deepEqual(body.numbers, [number])
})

test('a real carrier call follows the published flow: menu, no key, voicemail', async () => {
  const before = (await api('GET', '/calls')).body.calls.map((c) => c.id)
  // sipp answers the menu with silence: the IVR times out into voicemail, which takes at most 3 s.
  await carrierCall({ ip: carrierIP, number, caller: '+15550059099', scenario: 'voicemail-uac.xml' })
  let call
  for (let i = 0; i < 50 && !call; i++) {
    call = (await api('GET', '/calls')).body.calls.find((c) => !before.includes(c.id) && c.to === number)
    if (!call) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(call, 'the call is in the history')
  assert.equal(call.voicemail, true, `the call ended in the flow's voicemail: ${JSON.stringify(call)}`)
  assert.ok(call.recording_seconds > 2 && call.recording_seconds < 3.5, `a message of at most 3 s: ${call.recording_seconds}`)

  await page.getByRole('link', { name: 'Call history' }).click()
  const row = page.locator(`tr[data-call="${call.id}"]`)
  await row.waitFor()
  assert.match(await row.textContent(), /Voicemail/)
  await shot(page, 'flows-05-carrier-call-history')
})

test('the list shows the flow’s number, state and enabled switch', async () => {
  await page.getByRole('link', { name: 'Call flows', exact: true }).click()
  const row = page.locator('tr[data-flow="Support line"]')
  await row.filter({ hasText: 'Published (version 1)' }).waitFor()
  assert.match(await row.textContent(), new RegExp(`Support line.*Main number.*\\${number}.*Published \\(version 1\\)`))
  const sw = row.getByRole('switch', { name: 'Support line enabled' })
  assert.equal(await sw.isChecked(), true)
  await sw.uncheck()
  await page.getByText('Support line is disabled: calls to its numbers are rejected.').waitFor()
  assert.equal((await api('GET', `/flows/${flowId}`)).body.enabled, false)
  await sw.check()
  await page.getByText('Support line takes calls again.').waitFor()
  assert.equal((await api('GET', `/flows/${flowId}`)).body.enabled, true)
  await shot(page, 'flows-06-list')
  assert.deepEqual(await axe(page), [])
  await page.setViewportSize({ width: 375, height: 800 })
  await row.waitFor()
  await noSidewaysScroll()
  await shot(page, 'flows-06-list-375')
  await page.setViewportSize({ width: 1440, height: 1000 })
})

test('compares the draft with the published version after a change', async () => {
  await page.getByRole('link', { name: 'Support line' }).click()
  await node('ivr').waitFor()
  await node('ivr').click({ position: { x: 60, y: 12 } })
  await page.getByLabel('Menu announcement text').fill('Press 1 for support, or hold for voicemail.')
  await drop('announce', 700, 300)
  await node('announce').waitFor()
  await page.getByRole('button', { name: 'Save draft' }).click()
  await page.getByText('Draft saved.').waitFor()
  assert.equal((await api('GET', `/flows/${flowId}`)).body.unpublished_changes, true)

  await page.getByRole('button', { name: 'Compare with published' }).click()
  const dialog = page.getByRole('dialog', { name: 'Draft and published version' })
  await dialog.getByText('Changed state ivr: prompt').waitFor()
  await dialog.getByText('Added state announce').waitFor()
  const draft = dialog.getByRole('figure', { name: 'Draft' })
  const published = dialog.getByRole('figure', { name: 'Published, version 1' })
  await draft.locator('.state-node.diff-changed[data-state="ivr"]').waitFor()
  await draft.locator('.state-node.diff-added[data-state="announce"]').waitFor()
  await published.locator('.state-node.diff-changed[data-state="ivr"]').waitFor()
  assert.equal(await published.locator('[data-state="announce"]').count(), 0)
  assert.equal(await draft.locator('.state-node.diff-changed, .state-node.diff-added').count(), 2, 'only what changed is highlighted')
  await shot(page, 'flows-07-compare')
  assert.deepEqual(await axe(page), [])
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'detached' })
})

test('simulates a call through the draft, highlighting where the caller is', async () => {
  await page.getByRole('button', { name: 'Try a call' }).click()
  await page.getByRole('button', { name: 'Start a call' }).click()
  const steps = page.getByRole('list', { name: 'The call so far' })
  await steps.getByText('ivr: Plays the menu "Press 1 for support, or hold for voicemail."').waitFor()
  await page.locator('.state-node.sim-current[data-state="ivr"]').waitFor()
  const choices = page.getByRole('group', { name: 'What happens in ivr' })
  assert.deepEqual(await choices.getByRole('button').allTextContents(), ['Press 1', 'Timeout'])
  await choices.getByRole('button', { name: 'Press 1' }).click()
  await steps.getByText('group: Rings every available member of the group Support at once for 30 s.').waitFor()
  await page.locator('.state-node.sim-current[data-state="group"]').waitFor()
  await page.getByRole('group', { name: 'What happens in group' }).getByRole('button', { name: 'Timeout' }).click()
  await page.locator('.state-node.sim-current[data-state="voicemail"]').waitFor()
  await page.getByRole('group', { name: 'What happens in voicemail' }).getByRole('button', { name: 'Caller leaves a message' }).click()
  await page.locator('[data-sim-end]').filter({ hasText: 'The caller leaves a message' }).waitFor()
  assert.equal(await page.locator('.state-node.sim-current').count(), 0, 'the call has ended: no state is highlighted')
  await shot(page, 'flows-08-simulator')
  assert.deepEqual(await axe(page), [])

  await page.setViewportSize({ width: 375, height: 800 })
  await node('ivr').waitFor()
  await noSidewaysScroll()
  await shot(page, 'flows-09-builder-375')
  await page.setViewportSize({ width: 1440, height: 1000 })
})

test('a flow made through the API is laid out automatically', async () => {
  const made = await api('POST', '/flows', {
    name: 'Made by a program',
    states: [
      { id: 'start', type: 'start' },
      { id: 'hello', type: 'announce', prompt: { text: 'Hello.' } },
      { id: 'desk', type: 'transfer_user', user_id: user.id },
      { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' } },
    ],
    connections: [
      { from: 'start', outcome: 'next', to: 'hello' },
      { from: 'hello', outcome: 'next', to: 'desk' },
      { from: 'desk', outcome: 'busy', to: 'vm' },
    ],
  })
  assert.equal(made.status, 201, JSON.stringify(made.body))
  await page.goto(`/telephony/flows/${made.body.id}`)
  await node('vm').waitFor()
  const x = {}
  for (const id of ['start', 'hello', 'desk', 'vm']) x[id] = (await node(id).boundingBox()).x
  assert.ok(x.start < x.hello && x.hello < x.desk && x.desk < x.vm, `states left to right along the calls' way: ${JSON.stringify(x)}`)
  await shot(page, 'flows-10-auto-layout')
})

test('refuses an eleventh connection into a state, chosen from the side panel as a keyboard user would', async () => {
  const states = [
    { id: 'start', type: 'start' },
    { id: 'vm', type: 'voicemail', prompt: { text: 'Leave a message.' } },
  ]
  const connections = [{ from: 'start', outcome: 'next', to: 'a1' }]
  for (let i = 1; i <= 11; i++) states.push({ id: `a${i}`, type: 'announce', prompt: { text: `Step ${i}.` } })
  for (let i = 1; i <= 10; i++) connections.push({ from: `a${i}`, outcome: 'next', to: 'vm' })
  const made = await api('POST', '/flows', { name: 'Ten into one', states, connections })
  assert.equal(made.status, 201, JSON.stringify(made.body))
  await page.goto(`/telephony/flows/${made.body.id}`)
  await node('a11').click()
  await page.getByLabel('Next', { exact: true }).selectOption('vm')
  await refusal().filter({ hasText: 'vm already has 10 incoming connections, the most a state accepts.' }).waitFor()
  assert.equal(await edge('a11', 'next').count(), 0)
  assert.equal(await page.getByLabel('Next', { exact: true }).inputValue(), '', 'the choice goes back to ending the call')
  await shot(page, 'flows-11-eleventh-connection-refused')
})
