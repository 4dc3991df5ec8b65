#!/usr/bin/env node
// The one test command (npm test): static checks, the build, then every vitest project (core + e2e).
// Each step runs even when an earlier one failed, so one run shows every problem. The closing line
// `N passed, N failed` counts vitest's tests from its JSON report plus one per static check.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const results = join(root, 'test-results')
mkdirSync(results, { recursive: true })
const bin = (name) => join(root, 'node_modules', '.bin', name)

const checks = [
  ['eslint', [bin('eslint'), '.']],
  ['prettier', [bin('prettier'), '--check', '.']],
  ['typecheck (node)', [bin('tsc'), '-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (renderer)', [bin('vue-tsc'), '-p', 'tsconfig.web.json', '--noEmit']],
  ['build', [bin('electron-vite'), 'build']]
]

let passed = 0
let failed = 0
const failures = []
for (const [name, [cmd, ...args]] of checks) {
  process.stdout.write(`\n== ${name}\n`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status === 0) passed++
  else {
    failed++
    failures.push(name)
  }
}

process.stdout.write('\n== vitest (core + e2e)\n')
const report = join(results, 'vitest.json')
spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
  cwd: root,
  stdio: 'inherit'
})
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed += json.numPassedTests
  failed += json.numFailedTests
  // A test file that fails to load counts no tests; count it as a failure rather than lose it.
  for (const file of json.testResults ?? [])
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      failed++
      failures.push(`${file.name}: ${file.message ?? 'failed to run'}`)
    }
  if (json.numTotalTests === 0) {
    failed++
    failures.push('vitest ran no test')
  }
} else {
  failed++
  failures.push('vitest wrote no report')
}

writeFileSync(join(results, 'summary.json'), JSON.stringify({ passed, failed, failures }, null, 2))
if (failures.length) process.stdout.write(`\nfailed: ${failures.join(', ')}\n`)
process.stdout.write(`${passed} passed, ${failed} failed\n`)
process.exitCode = failed === 0 ? 0 : 1
