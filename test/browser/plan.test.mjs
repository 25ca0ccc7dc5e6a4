// Plan details in a real browser: the credits wallet, buying credits,
// auto-recharge, the usage chart, the purchase history, recording storage
// plans (refused without credit, then bought) and the notifications bell.
// The tests run in order on one browser, as one administrator's visit would;
// every change goes through the app, so the API's answers are what is shown.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, afterEach, before, test } from 'node:test'
import { axe, launch, outDir, shot, signIn } from './harness.mjs'

let b, page

before(async () => {
  b = await launch()
  page = b.page
  await signIn(page)
  await page.getByRole('link', { name: 'Plan details' }).click()
  await page.waitForURL('**/telephony/plan')
})

after(async () => {
  await b?.close()
})

afterEach(async () => {
  if (await page.getByRole('dialog').count()) await page.keyboard.press('Escape')
})

/** micro reads the API's decimal credits ("12.5") as exact micro-credits, as the server keeps them. */
function micro(s) {
  const neg = s.startsWith('-')
  const [w, f = ''] = s.replace(/^-/, '').split('.')
  const m = BigInt(w || '0') * 1000000n + BigInt((f + '000000').slice(0, 6))
  return neg ? -m : m
}
/** credits writes micro-credits as the API does ("12.5"). */
function credits(m) {
  const neg = m < 0n
  if (neg) m = -m
  const f = (m % 1000000n).toString().padStart(6, '0').replace(/0+$/, '')
  return (neg ? '-' : '') + (m / 1000000n) + (f ? '.' + f : '')
}
/** shown writes micro-credits as the app shows them ("1,234.50"). */
function shown(m) {
  const [w, f = ''] = credits(m).split('.')
  return w.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + f.padEnd(2, '0')
}

const dialog = () => page.getByRole('dialog')
const balance = () => page.locator('.balance')
/** balanceIs waits until the wallet shows credits (as the API sends them, "40" for 40.00). */
const balanceIs = (credits) => page.locator(`.balance[data-balance="${credits}"]`).waitFor()

// What the tests before this file left (admin.test.mjs pays for a carrier's call).
let start = 0n
let startBought = 0n
let startUsed = 0n
let startPurchases = 0

test('shows the available credits with their local-currency value', async () => {
  await balance().waitFor()
  start = micro(await balance().getAttribute('data-balance'))
  await page.locator('.usage-body[data-period="this_month"]').waitFor()
  startBought = micro(await page.locator('[data-total="bought"]').getAttribute('data-credits'))
  startUsed = micro(await page.locator('[data-total="used"]').getAttribute('data-credits'))
  startPurchases = await page.locator('table[aria-label="Purchase history"] tbody tr').count()
  assert.match(await page.locator('.wallet').innerText(), /≈ [\d,]+\.\d\d [A-Z]{3}/)
  assert.match(await page.locator('.auto-state').innerText(), /Auto-recharge is off/)
  await page.getByRole('heading', { name: 'Recording storage' }).waitFor()
  await page.getByText('Free plan').waitFor()
  await shot(page, 'plan-01-wallet')
})

test('changing the storage plan without enough credit shows the 402 plainly, and changes nothing', async () => {
  assert.ok(start < 15000000n, `the test server's wallet holds less than 15 credits (${credits(start)})`)
  await page.getByRole('button', { name: 'Change plan' }).click()
  await dialog().getByRole('heading', { name: 'Change the storage plan' }).waitFor()
  await dialog().getByLabel(/^50,000 minutes/).check()
  await dialog().getByRole('button', { name: 'Review' }).click()
  await dialog().getByRole('heading', { name: 'Review the storage plan' }).waitFor()
  assert.match(await dialog().locator('dl.summary').innerText(), /Monthly price\s+25\.00 credits \/ month/)
  await dialog().getByRole('button', { name: 'Buy for 25.00 credits' }).click()
  const refusal = dialog().getByRole('alert')
  await refusal.getByText(`Not enough credits: the first month costs 25.00 credits and ${shown(start)} are available`).waitFor()
  await refusal.getByRole('button', { name: 'Buy credits' }).waitFor()
  await shot(page, 'plan-02-storage-402')
  await dialog().getByRole('button', { name: 'Close' }).click()
  await dialog().waitFor({ state: 'detached' })
  assert.equal(await page.locator('.storage-plan').getAttribute('data-plan'), 'free')
})

test('buys credits: the price comes from a quote, then the balance and the history change', async () => {
  await page.getByRole('button', { name: 'Buy credits' }).click()
  const amount = dialog().getByLabel('Credits', { exact: true })
  await amount.fill('12.5.')
  await dialog().getByText('Enter a number of credits above 0').waitFor()
  assert.ok(await dialog().getByRole('button', { name: /^Pay/ }).isDisabled())
  await amount.fill('40')
  const price = dialog().locator('.price')
  await price.waitFor()
  assert.match(await price.innerText(), /^40\.00 [A-Z]{3}$/)
  await shot(page, 'plan-03-buy-quote')
  await dialog().getByRole('button', { name: /^Pay 40\.00/ }).click()
  await page.getByRole('status').filter({ hasText: /40\.00 credits bought for 40\.00 [A-Z]{3} \(invoice INV-\d{4}-\d{6}\)/ }).waitFor()
  await balanceIs(credits(start + 40000000n))
  assert.equal(await balance().innerText(), `${shown(start + 40000000n)} credits`)
  // The header of every page shows it too.
  await page.getByRole('banner').getByRole('link', { name: `Balance: ${shown(start + 40000000n)} credits` }).waitFor()
  const rows = page.locator('table[aria-label="Purchase history"] tbody tr')
  await page.locator(`table[aria-label="Purchase history"] tbody tr:nth-child(${startPurchases + 1})`).waitFor()
  assert.equal(await rows.count(), startPurchases + 1)
  assert.match(await rows.first().innerText(), /admin \(signed in\)[\s\S]*40\.00[\s\S]*INV-\d{4}-\d{6}/)
  await shot(page, 'plan-04-bought')
})

test('switches on auto-recharge from the "..." menu', async () => {
  await page.getByRole('button', { name: 'Wallet actions' }).click()
  await page.getByRole('menuitem', { name: 'Auto-recharge…' }).click()
  await dialog().getByRole('heading', { name: 'Auto-recharge' }).waitFor()
  // The server's refusal shows beside the field it names.
  await dialog().getByLabel('Recharge automatically').check()
  await dialog().getByLabel('Minimum balance (credits)').fill('30')
  await dialog().getByLabel('Credits to buy').fill('0')
  await dialog().getByRole('button', { name: 'Save' }).click()
  await dialog().locator('.field-error', { hasText: /must be more than 0/ }).waitFor()
  await dialog().getByLabel('Credits to buy').fill('20')
  await shot(page, 'plan-05-auto-recharge-dialog')
  await dialog().getByRole('button', { name: 'Save' }).click()
  await page.getByText('Auto-recharge is on.').waitFor()
  await page.locator('.auto-state[data-auto-recharge="on"]').waitFor()
  assert.match(await page.locator('.auto-state').innerText(), /20\.00 credits are bought when the balance falls below 30\.00/)
  await shot(page, 'plan-06-auto-recharge-on')
})

test('buys a storage plan; the charge crosses the minimum, so auto-recharge buys credits and the bell says so', async () => {
  await page.getByRole('button', { name: 'Change plan' }).click()
  await dialog().getByLabel(/^50,000 minutes/).check()
  await dialog().getByRole('button', { name: 'Review' }).click()
  assert.match(await dialog().locator('dl.summary').innerText(), /Charged now\s+25\.00 credits/)
  await dialog().getByRole('button', { name: 'Buy for 25.00 credits' }).click()
  await page.getByText('Your recording storage plan is now 50,000 minutes.').waitFor()
  await page.locator('.storage-plan[data-plan="50k"]').waitFor()
  assert.match(await page.locator('.storage').innerText(), /0 of 50,000 minutes used/)
  // start + 40 - 25 is below 30: auto-recharge buys 20.
  await balanceIs(credits(start + 35000000n))
  await page.locator('table[aria-label="Purchase history"] tbody tr').filter({ hasText: 'Auto-recharge' }).waitFor()

  // Low balance, then auto-recharge done: both written in the server's background.
  const bell = page.getByRole('button', { name: 'Notifications, 2 unread' })
  await bell.click()
  const panel = page.getByRole('region', { name: 'Notifications' })
  await panel.locator('li[data-kind="low_balance"]').getByText(`The balance is ${credits(start + 15000000n)} credits, below the minimum of 30.`).waitFor()
  await panel.locator('li[data-kind="auto_recharge_done"]').getByText(/20 credits were bought/).waitFor()
  await shot(page, 'plan-07-bell')

  await panel.getByRole('button', { name: 'Mark “Low balance” read' }).click()
  await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor()
  await panel.getByRole('button', { name: 'Dismiss “Auto-recharge”' }).click()
  await panel.locator('li[data-kind="auto_recharge_done"]').waitFor({ state: 'detached' })
  await page.keyboard.press('Escape')
  await panel.waitFor({ state: 'detached' })
})

test('the credit usage chart renders for this month and for last week', async () => {
  const body = page.locator('.usage-body')
  await page.locator('.usage-body[data-period="this_month"]').waitFor()
  // Bought 40 by hand and 20 by auto-recharge; used 25 on storage.
  assert.equal(await body.locator('[data-total="bought"]').innerText(), shown(startBought + 60000000n))
  assert.equal(await body.locator('[data-total="used"]').innerText(), shown(startUsed + 25000000n))
  assert.match(await body.locator('ul.legend').innerText(), /Recording storage:\s*25\.00/)
  assert.ok((await body.locator('figure.daily .recharts-bar-rectangle').count()) > 0, 'the daily chart draws bars')
  await page.locator('.usage').screenshot({ path: join(outDir, 'plan-08-usage-this-month.png') })

  await page.getByLabel('Period').selectOption('last_week')
  await page.locator('.usage-body[data-period="last_week"]').waitFor()
  assert.equal(await body.locator('[data-total="used"]').innerText(), '0.00')
  // Seven days on the axis.
  assert.equal(await body.locator('figure.daily .recharts-xAxis .recharts-cartesian-axis-tick').count(), 7)

  await page.getByLabel('Period').selectOption('custom')
  await page.getByText('Choose the first and the last day of the range.').waitFor()
  await page.getByLabel('From', { exact: true }).fill('2026-01-10')
  await page.getByLabel('To', { exact: true }).fill('2026-01-01')
  await page.getByText('The “To” date is before the “From” date.').waitFor()
  await page.getByLabel('To', { exact: true }).fill('2026-01-20')
  await page.locator('.usage-body[data-period="custom"]').waitFor()
  await shot(page, 'plan-09-usage-custom')
})

test('auto-deletes recordings after 3 months, and keeps the choice', async () => {
  await page.getByLabel('Delete recordings automatically').selectOption('3')
  await page.locator('.storage').getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
  await page.reload()
  await page.getByLabel('Delete recordings automatically').waitFor()
  assert.equal(await page.getByLabel('Delete recordings automatically').inputValue(), '3')
})

test('buying the same amount twice buys it twice', async () => {
  const rows = page.locator('table[aria-label="Purchase history"] tbody tr')
  const before = await rows.count()
  for (const [i, after] of [[1, 45000000n], [2, 55000000n]]) {
    await page.getByRole('button', { name: 'Buy credits' }).click()
    await dialog().getByRole('button', { name: '10', exact: true }).click()
    await dialog().getByRole('button', { name: /^Pay 10\.00/ }).click()
    await dialog().waitFor({ state: 'detached' })
    await balanceIs(credits(start + after))
    await page.locator(`table[aria-label="Purchase history"] tbody tr:nth-child(${before + i})`).waitFor()
  }
  assert.equal(await rows.count(), before + 2)
})

test('works at phone width', async () => {
  await page.setViewportSize({ width: 375, height: 800 })
  await page.locator('.balance').waitFor()
  await page.locator('.usage-body').waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 375 px`)
  // The header keeps every link, the balance, the bell and Sign out in view.
  const hidden = await page.evaluate(() => {
    const nav = document.querySelector('.topbar nav')
    return nav.scrollWidth - nav.clientWidth
  })
  assert.ok(hidden <= 0, `the header's links are cut by ${hidden}px at 375 px`)
  await shot(page, 'plan-10-phone')
  await page.setViewportSize({ width: 1280, height: 800 })
  await shot(page, 'plan-11-desktop')
  assert.deepEqual(b.problems, [])
})

test('has no serious accessibility violations: the page, a dialog, the menu and the bell', async () => {
  assert.deepEqual(await axe(page), [], 'Plan details')
  await page.getByRole('button', { name: 'Buy credits' }).click()
  await dialog().locator('.price').waitFor()
  assert.deepEqual(await axe(page), [], 'Buy credits dialog')
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: 'Wallet actions' }).click()
  await page.getByRole('menuitem', { name: 'Auto-recharge…' }).waitFor()
  assert.deepEqual(await axe(page), [], 'the "..." menu')
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: /^Notifications/ }).click()
  await page.getByRole('region', { name: 'Notifications' }).waitFor()
  assert.deepEqual(await axe(page), [], 'the notifications')
  await page.keyboard.press('Escape')
})
