// Shared set-up for the admin app's browser tests: the server under test
// (started by test/browser.sh), a headless Chromium from the system,
// screenshots under test/out/browser/, and sipp to place real calls.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'

export const baseURL = must('PBX_URL')
export const adminToken = must('PBX_ADMIN_TOKEN')
export const sipAddr = must('PBX_SIP_ADDR')
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium'
export const outDir = process.env.PBX_BROWSER_OUT || join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'browser')
mkdirSync(outDir, { recursive: true })

function must(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set; run the tests through test/browser.sh`)
  return v
}

// Only loopback: the tests must never reach out of the machine.
const host = new URL(baseURL).hostname
if (!/^127\.|^\[::1\]$|^localhost$/.test(host)) throw new Error(`PBX_URL ${baseURL} is not a loopback address`)
if (!/^127\.[0-9.]+:[0-9]+$/.test(sipAddr)) throw new Error(`PBX_SIP_ADDR ${sipAddr} is not a loopback address and port`)

/** launch starts Chromium with a throwaway profile; close() removes it. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'pbx-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 800 },
    baseURL,
  })
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(8000)
  // Anything the app logs as an error, or a script that throws, is a failure worth seeing.
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console error: ' + m.text())
  })
  return {
    context,
    page,
    problems,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** changedPassword is the admin password admin.test.mjs sets; from then on the token no longer signs in. */
export const changedPassword = 'correct horse battery'

/**
 * signIn opens the app and signs in: with the admin password once
 * admin.test.mjs has set it, else with the bootstrap token. The password is
 * tried first because each refusal counts towards the server's limit of five
 * wrong guesses a minute, and the tests before may have used most of them.
 */
export async function signIn(page) {
  await page.goto('/')
  for (const password of [changedPassword, adminToken]) {
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    await page.getByLabel('Admin password', { exact: true }).fill(password)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ])
    if (res.ok()) {
      await page.getByRole('heading', { name: 'Telephony' }).waitFor()
      return
    }
    if (res.status() !== 401) throw new Error(`sign-in answered ${res.status()}`)
  }
  throw new Error('neither the admin password nor the admin token signs in')
}

/**
 * axe runs the axe-core accessibility checks on what the page shows now
 * (WCAG 2.x A and AA) and returns the serious and critical violations, each
 * as "rule: what it is (where)", for an assertion to print.
 */
export async function axe(page) {
  // Evaluated, not a <script>: the app's Content-Security-Policy refuses inline scripts, as it should.
  await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'))
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
  })
  return violations
}

/** shot saves a full-page screenshot named for the test. */
export async function shot(page, name) {
  await page.screenshot({ path: join(outDir, name + '.png'), fullPage: true })
}

/** api calls the REST API as a program would, with the bootstrap bearer token. */
export async function api(method, path, body) {
  return bearer(adminToken)(method, path, body)
}

/** bearer is api with another bearer token, such as one programToken made. */
export function bearer(token) {
  return async (method, path, body) => {
    const res = await fetch(baseURL + '/api/v1' + path, {
      method,
      headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}

/**
 * programToken has the signed-in page create an API token named name, as
 * an administrator does in Settings, and returns an api for it: once
 * admin.test.mjs has set the admin password, the bootstrap token is no
 * bearer token any more. Its revoke() removes the token again.
 */
export async function programToken(page, name) {
  const made = await page.evaluate(async (name) => {
    const s = await (await fetch('/api/v1/session')).json()
    const r = await fetch('/api/v1/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: JSON.stringify({ name }) })
    return { status: r.status, body: await r.json() }
  }, name)
  if (made.status !== 201) throw new Error(`creating the API token answered ${made.status}: ${JSON.stringify(made.body)}`)
  const call = bearer(made.body.token)
  call.token = made.body.token
  call.revoke = async () => {
    const r = await call('DELETE', `/tokens/${made.body.id}`)
    if (r.status !== 204) throw new Error(`revoking the API token answered ${r.status}`)
  }
  return call
}

/**
 * carrierCall has sipp, as a carrier trunk's host at ip (a loopback
 * address of the test's own), call number from caller, running the
 * scenario test/browser/<scenario>, and resolves once sipp saw the call
 * through.
 */
export async function carrierCall({ ip, number, caller, scenario }) {
  await sipp(scenario, [sipAddr, '-s', number, '-i', ip, '-mi', ip, '-key', 'caller', caller, '-m', '1', '-nostdin', '-timeout', '30s', '-trace_err'])
}

/**
 * placeCall has sipp, as the phone user from (signing in with password),
 * dial to through the PBX, running the scenario test/browser/<scenario>,
 * and resolves once sipp saw the call through. Without sipp it fails: the
 * call history cannot be tested without a call.
 */
export async function placeCall({ from, password, to, scenario }) {
  const csv = `SEQUENTIAL\n${from};[authentication username=${from} password=${password}]\n`
  await sipp(scenario, [sipAddr, '-inf', 'caller.csv', '-s', to, '-auth_uri', `${to}@${sipAddr}`, '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '20s', '-trace_err'], csv)
}

/**
 * carrierLine makes, through call (an api), what a carrier's call needs: a
 * few credits when the wallet has less than one (calls cost credits at the
 * example rates), a trunk whose host
 * is ip, the toll-free number on it, and a published flow named name over
 * states and connections. Its remove() takes them away again, flow first.
 */
export async function carrierLine(call, { name, ip, number, states, connections }) {
  const must = async (status, method, path, body) => {
    const r = await call(method, path, body)
    if (r.status !== status) throw new Error(`${method} ${path} answered ${r.status}, not ${status}: ${JSON.stringify(r.body)}`)
    return r.body
  }
  // Only when the wallet is nearly empty: the tests after this one may count on a small balance (numbers.test.mjs does).
  const wallet = await must(200, 'GET', '/wallet')
  if (/^(-|0(\.|$))/.test(wallet.balance)) {
    const quote = await must(201, 'POST', '/wallet/quotes', { credits: '5' })
    await must(201, 'POST', '/wallet/purchases', { quote_id: quote.id })
  }
  const trunk = await must(201, 'POST', '/trunks', { name: name + ' carrier', host: ip, inbound_cidrs: [ip] })
  const num = await must(201, 'POST', '/numbers', { e164: number, type: 'toll_free', country: 'US', trunk_id: trunk.id })
  const flow = await must(201, 'POST', '/flows', { name, numbers: [number], states, connections })
  await must(200, 'POST', `/flows/${flow.id}/publish`)
  return {
    flow,
    async remove() {
      await must(204, 'DELETE', `/flows/${flow.id}`)
      await must(204, 'DELETE', `/numbers/${num.id}`)
      await must(204, 'DELETE', `/trunks/${trunk.id}`)
    },
  }
}

/**
 * registerPhone has sipp, as the phone user user at ip (a loopback address
 * of the test's own), register with the PBX for expires seconds; 0 takes
 * the registration back.
 */
export async function registerPhone({ user, password, ip, expires }) {
  const csv = `SEQUENTIAL\n${user};[authentication username=${user} password=${password}]\n`
  await sipp('register-uac.xml', [sipAddr, '-inf', 'caller.csv', '-i', ip, '-key', 'expires', String(expires), '-m', '1', '-nostdin', '-timeout', '20s', '-trace_err'], csv)
}

/** sipp runs test/browser/<scenario> with args in a folder of its own, holding caller.csv when given. */
async function sipp(scenario, args, csv) {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-sipp-'))
  try {
    if (csv) writeFileSync(join(dir, 'caller.csv'), csv)
    args = [...args, '-sf', join(dirname(fileURLToPath(import.meta.url)), scenario)]
    await new Promise((resolve, reject) =>
      execFile(process.env.SIPP || 'sipp', args, { cwd: dir, timeout: 40000 }, (err, stdout, stderr) => {
        if (err?.code === 'ENOENT') reject(new Error('sipp is needed to place a call (apt-get install sip-tester)'))
        else if (err) reject(new Error(`sipp ${scenario} failed (${err.code ?? err.signal}):\n${stderr}\n${stdout.slice(-2000)}`))
        else resolve()
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
