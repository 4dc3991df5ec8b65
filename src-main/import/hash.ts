import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** SHA-256 of a file, streamed (a 514 MB run never sits in memory). */
export async function sha256OfFile(path: string, shouldStop?: () => boolean): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    if (shouldStop?.()) throw new Error('cancelled')
    hash.update(chunk as Buffer)
  }
  return hash.digest('hex')
}
