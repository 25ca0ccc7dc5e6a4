// Writes src/openapi.d.ts, the TypeScript types of the REST API, from
// web/openapi.json (the document the server serves at /api/v1/openapi.json).
// With --check it writes nothing and fails when the committed file is out
// of date, so the build stops before the app and the API drift apart.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'

const ui = join(dirname(fileURLToPath(import.meta.url)), '..')
const spec = join(ui, '..', 'openapi.json')
const out = join(ui, 'src', 'openapi.d.ts')

const header = `// Generated from web/openapi.json by \`npm run api-types\`: do not edit.\n// The build fails when this file is out of date (\`npm run api-types\` again).\n\n`
const ast = await openapiTS(JSON.parse(readFileSync(spec, 'utf8')))
const text = header + astToString(ast)

if (process.argv.includes('--check')) {
  let old = ''
  try {
    old = readFileSync(out, 'utf8')
  } catch {}
  if (old !== text) {
    console.error('src/openapi.d.ts is out of date with web/openapi.json: run `npm run api-types` in web/ui and commit it.')
    process.exit(1)
  }
} else {
  writeFileSync(out, text)
  console.log('wrote src/openapi.d.ts')
}
