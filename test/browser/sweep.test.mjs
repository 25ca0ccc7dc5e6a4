// Accessibility and small screens, page by page: every page the admin app
// has (sign-in, Plan details, Audio files, Phone users, Phone groups, Call
// history, Live, Settings, and the header with its notifications) at desktop
// width and at 375 px, with no serious or critical axe-core violation and
// nothing wider than a phone's screen, each saved as a screenshot; and the
// header and a dialog worked from the keyboard alone.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { axe, launch, programToken, shot, signIn } from './harness.mjs'

let b, page, api
const made = { users: [], group: 0 }

/** check runs axe and the sideways-scroll check at desktop width and at 375 px, and saves both. */
async function check(name, ready) {
  for (const [width, height] of [
    [1280, 800],
    [375, 740],
  ]) {
    await page.setViewportSize({ width, height })
    await ready()
    assert.deepEqual(await axe(page), [], `${name} at ${width} px`)
    const wide = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(wide <= width, `${name} is ${wide} px wide at ${width} px`)
    await shot(page, `sweep-${name}-${width}`)
  }
  await page.setViewportSize({ width: 1280, height: 800 })
}

before(async () => {
  b = await launch()
  page = b.page
})

after(async () => {
  if (api) {
    if (made.group) await api('DELETE', `/groups/${made.group}`)
    for (const id of made.users) await api('DELETE', `/users/${id}`)
    await api.revoke()
  }
  await b?.close()
})

test('the sign-in page', async () => {
  await page.goto('/')
  try {
    await check('sign-in', () => page.getByRole('heading', { name: 'Sign in to the admin app' }).waitFor())
  } finally {
    await setUp() // the other pages are checked either way
  }
})

async function setUp() {
  await page.setViewportSize({ width: 1280, height: 800 })
  await signIn(page)
  api = await programToken(page, 'sweep browser test')
  // Something on each page, as an administrator would have.
  for (const [name, extension] of [
    ['Ivy Irving', '2301'],
    ['Jon Jarvis', '2302'],
  ]) {
    const u = await api('POST', '/users', { name, extension, sip_password: `${extension}-secret-pw` })
    assert.equal(u.status, 201, JSON.stringify(u.body))
    made.users.push(u.body.id)
  }
  const g = await api('POST', '/groups', { name: 'Sweep desk', description: 'Checked by the sweep', member_ids: made.users })
  assert.equal(g.status, 201, JSON.stringify(g.body))
  made.group = g.body.id
}

const tab = (label, ready) => async () => {
  await page.getByRole('navigation', { name: 'Telephony' }).getByRole('link', { name: label }).click()
  await ready()
}

test('Plan details', async () => {
  await page.goto('/telephony/plan')
  await check('plan', () => page.getByRole('heading', { name: 'Credit usage' }).waitFor())
})

test('Phone users', async () => {
  await check('users', tab('Phone users', () => page.locator('tr[data-user="2301"]').waitFor()))
})

test('Phone groups', async () => {
  await check('groups', tab('Phone groups', () => page.locator('tr[data-group="Sweep desk"]').waitFor()))
})

test('Audio files', async () => {
  await check('media', tab('Audio files', () => page.getByRole('form', { name: 'Upload a WAV file' }).waitFor()))
})

test('Call history', async () => {
  await check('calls', tab('Call history', () => page.getByLabel('Period', { exact: true }).waitFor()))
})

test('Live', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click()
  await check('live', () => page.getByRole('status').filter({ hasText: 'Live: changes appear as they happen' }).waitFor())
})

test('Settings', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await check('settings', () => page.getByRole('button', { name: 'Create token' }).waitFor())
})

test('the header, its notifications and a dialog, from the keyboard', async () => {
  await page.goto('/telephony/users')
  await page.locator('tr[data-user="2301"]').waitFor()
  // Tab from the top of the page reaches the main links, in order.
  await page.locator('body').focus()
  const reached = []
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab')
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''))
  }
  for (const name of ['Telephony', 'Live', 'Settings', 'Sign out']) assert.ok(reached.includes(name), `Tab reaches ${name}: ${reached.join(' | ')}`)

  // The bell opens from the keyboard and Escape closes it, giving focus back.
  const bell = page.getByRole('button', { name: /^Notifications/ })
  await bell.focus()
  await page.keyboard.press('Enter')
  assert.equal(await bell.getAttribute('aria-expanded'), 'true')
  await check('notifications', async () => {
    if ((await bell.getAttribute('aria-expanded')) !== 'true') await bell.click()
    await page.locator('.bell-panel').waitFor()
  })
  await bell.focus()
  await page.keyboard.press('Escape')
  await page.locator('.bell-panel').waitFor({ state: 'detached' })

  // A dialog: opened with Enter, focus inside, Escape closes it and focus returns.
  const edit = page.locator('tr[data-user="2301"]').getByRole('button', { name: 'Edit' })
  await edit.focus()
  await page.keyboard.press('Enter')
  await page.getByRole('dialog').waitFor()
  assert.ok(await page.evaluate(() => !!document.activeElement?.closest('dialog')), 'focus moved into the dialog')
  await check('user-dialog', () => page.getByRole('dialog').getByLabel('Name', { exact: true }).waitFor())
  await page.keyboard.press('Escape')
  await page.getByRole('dialog').waitFor({ state: 'detached' })
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Edit', 'focus went back to the Edit button')
  assert.deepEqual(b.problems, [])
})
