#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/electron/, leaving the Node build in
// node_modules untouched (CLI, `b2m serve` and the tests keep working). The Electron main process
// loads the copy through better-sqlite3's `nativeBinding` option (src-main/catalogue/native.ts).
// Needs the network once (Electron headers). onnxruntime-node is N-API and needs no rebuild.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const require = createRequire(join(root, 'package.json'))
const electronVersion = require('electron/package.json').version
const work = join(root, '.native', 'electron')
rmSync(work, { recursive: true, force: true })
mkdirSync(join(work, 'node_modules'), { recursive: true })
writeFileSync(
  join(work, 'package.json'),
  JSON.stringify({ name: 'b2m-electron-native', private: true, dependencies: { 'better-sqlite3': '*' } })
)
cpSync(join(root, 'node_modules', 'better-sqlite3'), join(work, 'node_modules', 'better-sqlite3'), { recursive: true })
rmSync(join(work, 'node_modules', 'better-sqlite3', 'build'), { recursive: true, force: true })

const { rebuild } = require('@electron/rebuild')
console.log(`rebuilding better-sqlite3 for Electron ${electronVersion} in ${work} …`)
await rebuild({ buildPath: work, electronVersion, onlyModules: ['better-sqlite3'], force: true, buildFromSource: true })
const binding = join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
if (!existsSync(binding)) {
  console.error(`no binding at ${binding}`)
  process.exit(1)
}
console.log(`Electron build of better-sqlite3: ${binding}`)
