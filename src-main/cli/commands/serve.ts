import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { Core } from '../../api/core'
import { B2mError } from '../../common/errors'
import { serve } from '../../server/serve'
import { rendererDir } from '../../server/static'
import { workspaceOf } from '../context'

/** A source checkout that has not been built yet builds its renderer once, on the first serve. */
function ensureRenderer(): void {
  if (existsSync(join(rendererDir(), 'index.html'))) return
  const root = resolve(__dirname, '..', '..', '..')
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!existsSync(cli))
    throw new B2mError('failed', `the renderer is not built and electron-vite is missing: run npm run build`)
  process.stderr.write('building the renderer (first start)…\n')
  const r = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0) throw new B2mError('failed', 'building the renderer failed: run npm run build to see why')
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the app in a browser tab: the renderer and the API on HTTP + WebSocket, token-protected')
    .option('--host <host>', 'address to bind (loopback unless you mean otherwise)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', (v) => Number.parseInt(v, 10), 8470)
    .option('--json', 'print {"url","host","port","token"} as one JSON line')
    .action(async (opts: { host: string; port: number; json?: boolean }, cmd: Command) => {
      ensureRenderer()
      const core = Core.open(workspaceOf(cmd), {
        face: 'browser',
        runJobs: true,
        log: (level, text) => process.stderr.write(`[${level}] ${text}\n`)
      })
      let server
      try {
        server = await serve(core, { host: opts.host, port: opts.port })
      } catch (err) {
        await core.close()
        throw err
      }
      const { url, host, port, token } = server
      if (opts.json) process.stdout.write(JSON.stringify({ url, host, port, token }) + '\n')
      else
        process.stdout.write(`Brain2Music Lab is served at ${url}\nworkspace: ${core.workspace.root}\nCtrl-C stops.\n`)
      await new Promise<void>((done) => {
        const stop = () => done()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await server.close()
      await core.close()
    })
}
