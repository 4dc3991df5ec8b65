import type { Command } from 'commander'
import { Core } from '../../api/core'
import { serve } from '../../server/serve'
import { ensureRendererBuilt } from '../../server/static'
import { workspaceOf } from '../context'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the app in a browser tab: the renderer and the API on HTTP + WebSocket, token-protected')
    .option('--host <host>', 'address to bind (loopback unless you mean otherwise)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', (v) => Number.parseInt(v, 10), 8470)
    .option('--json', 'print {"url","host","port","token"} as one JSON line')
    .action(async (opts: { host: string; port: number; json?: boolean }, cmd: Command) => {
      ensureRendererBuilt((t) => process.stderr.write(`${t}\n`))
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
