// Shared set-up for the admin app's browser tests: the server under test
// (started by test/browser.sh), a headless Chromium from the system, and
// screenshots under test/out/browser/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const baseURL = must('PBX_URL')
export const adminToken = must('PBX_ADMIN_TOKEN')
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

/** shot saves a full-page screenshot named for the test. */
export async function shot(page, name) {
  await page.screenshot({ path: join(outDir, name + '.png'), fullPage: true })
}

/** api calls the REST API as a program would, with the bootstrap bearer token. */
export async function api(method, path, body) {
  const res = await fetch(baseURL + '/api/v1' + path, {
    method,
    headers: { Authorization: 'Bearer ' + adminToken, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}
