import { availableParallelism } from 'node:os'
import { Workspace } from '../workspace'
import { SessionManager, onnxRuntimeVersion } from '../onnx/sessions'
import { JobRunner } from '../jobs/runner'
import { Emitter } from '../common/emitter'
import type { AppInfo, EventName, EventPayload } from '../../src-preload/api'
import { APP_NAME, APP_VERSION } from '../common/version'

export type Face = AppInfo['face']
export type CoreEvents = { [E in EventName]: EventPayload<E> }

export interface CoreOptions {
  face: Face
  /** Long-lived faces (window, serve) run jobs; one-shot CLI commands that only read do not. */
  runJobs: boolean
  log?: (level: 'debug' | 'info' | 'warn' | 'error', text: string) => void
}

/**
 * The one core every face talks to: the workspace (catalogue + arrays), the ONNX session manager and
 * the job runner, with a single event stream the faces forward to their clients.
 */
export class Core {
  readonly events = new Emitter<CoreEvents>()
  private runnerInstance: JobRunner | null = null
  /** Set by a face that can show a native folder dialog (Electron); the browser face types paths. */
  pickFolder: ((title?: string) => Promise<string | null>) | null = null
  private providerCache: Promise<{ providers: AppInfo['executionProviders']; notes: string[] }> | null = null

  private constructor(
    readonly workspace: Workspace,
    readonly sessions: SessionManager,
    readonly face: Face,
    private readonly log?: CoreOptions['log']
  ) {}

  static open(root: string, opts: CoreOptions): Core {
    const workspace = Workspace.open(root, { cleanTmp: false })
    try {
      const core = new Core(workspace, new SessionManager({ log: opts.log }), opts.face, opts.log)
      if (opts.runJobs) core.startRunner()
      return core
    } catch (err) {
      workspace.close()
      throw err
    }
  }

  get jobs(): JobRunner {
    if (!this.runnerInstance) return this.startRunner()
    return this.runnerInstance
  }

  private startRunner(): JobRunner {
    const runner = new JobRunner({ catalogue: this.workspace.catalogue, workspaceRoot: this.workspace.root })
    // Holding the jobs lock makes this process the workspace's owner: leftovers of a killed run go now.
    this.workspace.cleanTmp()
    for (const orphan of this.workspace.sweepOrphanArrays())
      this.log?.('warn', `removed ${orphan}: an array file no catalogue entry lists (left by an interrupted job)`)
    runner.events.on('job.update', (job) => this.events.emit('job.update', job))
    runner.events.on('job.log', (line) => this.events.emit('job.log', line))
    this.runnerInstance = runner
    return runner
  }

  providers(): Promise<{ providers: AppInfo['executionProviders']; notes: string[] }> {
    this.providerCache ??= this.sessions.availableProviders()
    return this.providerCache
  }

  async info(): Promise<AppInfo> {
    const { providers, notes } = await this.providers()
    return {
      name: APP_NAME,
      version: APP_VERSION,
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      onnxruntime: onnxRuntimeVersion(),
      sqlite: this.workspace.catalogue.sqliteVersion(),
      platform: process.platform,
      arch: process.arch,
      cpus: availableParallelism(),
      workspace: this.workspace.root,
      catalogue: { path: this.workspace.catalogue.path, schemaVersion: this.workspace.catalogue.schemaVersion },
      executionProviders: providers,
      providerNotes: notes,
      face: this.face,
      canPickFolders: this.pickFolder !== null
    }
  }

  async close(): Promise<void> {
    if (this.runnerInstance) await this.runnerInstance.close()
    await this.sessions.dispose()
    this.workspace.close()
  }
}
