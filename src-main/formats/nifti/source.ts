/**
 * Sequential byte sources for the NIfTI reader: exact positional reads for `.nii`, and a streaming
 * gunzip for `.nii.gz` that holds only the current decompressed chunk (never the whole file).
 */
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { B2mError } from '../../common/errors'

export interface ByteSource {
  /** Bytes consumed so far (decompressed bytes for gzip). */
  readonly position: number
  /** Fills `dst` (all of it) from the current position; resolves to the bytes read: fewer only at end of data. */
  read(dst: Uint8Array): Promise<number>
  /** Skips `n` bytes; resolves to the bytes actually skipped. */
  skip(n: number): Promise<number>
  close(): Promise<void>
}

const GZIP_CHUNK = 1 << 20

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
}

export class FileSource implements ByteSource {
  position: number

  private constructor(
    private readonly fh: FileHandle,
    start: number
  ) {
    this.position = start
  }

  static async open(path: string, start = 0): Promise<FileSource> {
    return new FileSource(await open(path, 'r'), start)
  }

  async read(dst: Uint8Array): Promise<number> {
    // Claim the range synchronously so overlapping calls (prefetch) read consecutive ranges.
    const start = this.position
    this.position += dst.length
    let done = 0
    while (done < dst.length) {
      const { bytesRead } = await this.fh.read(dst, done, dst.length - done, start + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    if (done < dst.length) this.position = start + done
    return done
  }

  async skip(n: number): Promise<number> {
    this.position += n
    return n
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}

/** Maps a zlib failure onto a clear B2mError. */
export function gzipError(path: string, err: unknown): B2mError {
  if (err instanceof B2mError) return err
  const e = err as NodeJS.ErrnoException
  const msg = e?.message ?? String(err)
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return new B2mError('bad_request', 'gzip stream is truncated (unexpected end of file)', path)
  }
  if (e?.code && String(e.code).startsWith('Z_')) {
    return new B2mError('bad_request', `bad gzip data: ${msg}`, path)
  }
  if (e?.code === 'ENOENT') return new B2mError('not_found', 'file not found', path)
  return new B2mError('bad_request', `cannot read: ${msg}`, path)
}

export class GzipSource implements ByteSource {
  position = 0
  private readonly iter: AsyncIterator<Buffer>
  private readonly stream: ReturnType<typeof createGunzip>
  private readonly file: ReturnType<typeof createReadStream>
  private chunk: Buffer | null = null
  private chunkPos = 0
  private ended = false
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly path: string) {
    this.file = createReadStream(path, { highWaterMark: GZIP_CHUNK })
    this.stream = createGunzip({ chunkSize: GZIP_CHUNK })
    this.file.on('error', (err) => this.stream.destroy(err))
    this.file.pipe(this.stream)
    this.iter = this.stream[Symbol.asyncIterator]()
  }

  private async next(): Promise<boolean> {
    if (this.ended) return false
    try {
      const r = await this.iter.next()
      if (r.done) {
        this.ended = true
        return false
      }
      this.chunk = r.value
      this.chunkPos = 0
      return true
    } catch (err) {
      this.ended = true
      throw gzipError(this.path, err)
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn)
    this.queue = p.catch(() => undefined)
    return p
  }

  read(dst: Uint8Array): Promise<number> {
    return this.serial(async () => {
      let done = 0
      while (done < dst.length) {
        if (!this.chunk || this.chunkPos >= this.chunk.length) {
          if (!(await this.next())) break
          continue
        }
        const n = Math.min(dst.length - done, this.chunk.length - this.chunkPos)
        dst.set(this.chunk.subarray(this.chunkPos, this.chunkPos + n), done)
        this.chunkPos += n
        done += n
      }
      this.position += done
      return done
    })
  }

  skip(n: number): Promise<number> {
    return this.serial(async () => {
      let done = 0
      while (done < n) {
        if (!this.chunk || this.chunkPos >= this.chunk.length) {
          if (!(await this.next())) break
          continue
        }
        const k = Math.min(n - done, this.chunk.length - this.chunkPos)
        this.chunkPos += k
        done += k
      }
      this.position += done
      return done
    })
  }

  async close(): Promise<void> {
    this.chunk = null
    this.file.unpipe(this.stream)
    this.file.destroy()
    this.stream.destroy()
    try {
      await this.iter.return?.()
    } catch {
      // already failed or destroyed: nothing left to release
    }
  }
}
