/**
 * A small PNG decoder for tests (8-bit grey, RGB, RGBA; not interlaced: what Chromium writes), so a test
 * can look at the pixels of a screenshot without a dependency.
 */
import { inflateSync } from 'node:zlib'

export interface DecodedPng {
  width: number
  height: number
  /** RGBA, rows top-down. */
  rgba: Uint8Array
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 }

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

export function decodePng(buf: Buffer): DecodedPng {
  if (buf.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG')
  let off = 8
  let width = 0
  let height = 0
  let colorType = 0
  const idat: Buffer[] = []
  while (off < buf.length) {
    const len = buf.readUInt32BE(off)
    const type = buf.subarray(off + 4, off + 8).toString('latin1')
    const data = buf.subarray(off + 8, off + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      if (data[8] !== 8) throw new Error(`bit depth ${data[8]} not supported`)
      colorType = data[9]!
      if (data[12] !== 0) throw new Error('interlaced PNG not supported')
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    off += 12 + len
  }
  const ch = CHANNELS[colorType]
  if (!ch) throw new Error(`colour type ${colorType} not supported`)
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * ch
  const px = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!
    const src = y * (stride + 1) + 1
    const row = y * stride
    for (let x = 0; x < stride; x++) {
      const a = x >= ch ? px[row + x - ch]! : 0
      const b = y > 0 ? px[row - stride + x]! : 0
      const c = x >= ch && y > 0 ? px[row - stride + x - ch]! : 0
      const v = raw[src + x]!
      px[row + x] =
        (f === 0 ? v : f === 1 ? v + a : f === 2 ? v + b : f === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 255
    }
  }
  const rgba = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    const s = i * ch
    if (ch >= 3) {
      rgba[4 * i] = px[s]!
      rgba[4 * i + 1] = px[s + 1]!
      rgba[4 * i + 2] = px[s + 2]!
    } else rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = px[s]!
    rgba[4 * i + 3] = ch === 4 ? px[s + 3]! : ch === 2 ? px[s + 1]! : 255
  }
  return { width, height, rgba }
}
