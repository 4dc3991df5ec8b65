import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  cutExcerpt,
  decodeAudio,
  decodeAudioBytes,
  encodeAu,
  encodeFlac,
  encodeWav,
  gtzanPath,
  listGtzan,
  parseAu,
  parseWav,
  resample,
  resampleChannel,
  sniffAudio,
  toMono,
  type AudioData
} from '../../src-main/formats/audio'
import { uniformSigned } from '../helpers/random'

// ---------------------------------------------------------------------------------------------
// Helpers

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
}
const HAVE = { sox: has('sox'), ffmpeg: has('ffmpeg'), flac: has('flac') }
const why = (tool: string) =>
  `${tool} is not installed (apt-get install -y ${tool}); this case needs an independent encoder`

const rng = uniformSigned

/** A test signal: two tones plus a little noise, different per channel. */
function testAudio(sampleRate: number, seconds: number, channels = 2, amp = 0.5): AudioData {
  const n = Math.round(sampleRate * seconds)
  const r = rng(sampleRate + channels)
  return {
    sampleRate,
    channels: Array.from({ length: channels }, (_, c) =>
      Float32Array.from(
        { length: n },
        (_, i) =>
          amp *
            (0.6 * Math.sin((2 * Math.PI * (440 + 110 * c) * i) / sampleRate) +
              0.3 * Math.sin((2 * Math.PI * 1234 * i) / sampleRate)) +
          0.02 * r()
      )
    )
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0
  for (let i = from; i < to; i++) s += x[i] * x[i]
  return Math.sqrt(s / (to - from))
}

/** Amplitude of a sinusoid at `f` by least squares (sin and cos), over [from, to). */
function toneAmplitude(x: Float32Array, sr: number, f: number, from: number, to: number): number {
  let ss = 0
  let cc = 0
  let sc = 0
  let xs = 0
  let xc = 0
  for (let i = from; i < to; i++) {
    const s = Math.sin((2 * Math.PI * f * i) / sr)
    const c = Math.cos((2 * Math.PI * f * i) / sr)
    ss += s * s
    cc += c * c
    sc += s * c
    xs += x[i] * s
    xc += x[i] * c
  }
  const det = ss * cc - sc * sc
  const a = (xs * cc - xc * sc) / det
  const b = (xc * ss - xs * sc) / det
  return Math.hypot(a, b)
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' })

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-audio-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------------

describe('WAV', () => {
  it('round-trips 16-bit PCM exactly and float32 bit for bit', () => {
    const a = testAudio(22050, 0.5)
    const q16 = a.channels.map((c) => Float32Array.from(c, (x) => Math.round(x * 32768) / 32768))
    const back16 = parseWav(encodeWav(a))
    expect(back16.sampleRate).toBe(22050)
    expect(back16.info.bitsPerSample).toBe(16)
    for (let c = 0; c < 2; c++) expect(maxAbsDiff(back16.channels[c], q16[c])).toBe(0)
    const backF = parseWav(encodeWav(a, { encoding: 'float32' }))
    expect(backF.info.formatTag).toBe(3)
    for (let c = 0; c < 2; c++) expect(maxAbsDiff(backF.channels[c], a.channels[c])).toBe(0)
    const back24 = parseWav(encodeWav(a, { encoding: 'pcm24' }))
    for (let c = 0; c < 2; c++)
      expect(maxAbsDiff(back24.channels[c], a.channels[c])).toBeLessThanOrEqual(0.5 / 2 ** 23 + 1e-9)
  })

  it('clamps full-scale samples instead of wrapping', () => {
    const back = parseWav(encodeWav({ sampleRate: 8000, channels: [Float32Array.from([1, -1, 1.5, -1.5])] }))
    expect(Array.from(back.channels[0], (v) => v * 32768)).toEqual([32767, -32768, 32767, -32768])
  })

  it('skips unknown chunks (odd sizes padded), honours a streaming data size and names the file in errors', () => {
    const base = encodeWav({ sampleRate: 8000, channels: [Float32Array.from([0.25, -0.25, 0.5])] })
    // insert a 3-byte LIST chunk (padded to 4) before "data"
    const extra = Uint8Array.from([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0])
    const bytes = new Uint8Array(base.length + extra.length)
    bytes.set(base.subarray(0, 36))
    bytes.set(extra, 36)
    bytes.set(base.subarray(36), 36 + extra.length)
    new DataView(bytes.buffer).setUint32(36 + extra.length + 4, 0xffffffff, true)
    expect(Array.from(parseWav(bytes).channels[0])).toEqual([0.25, -0.25, 0.5])
    expect(() => parseWav(bytes.subarray(0, 30), 'x.wav')).toThrow(/x\.wav: .*no data chunk|x\.wav/)
    const bad = Uint8Array.from(base)
    new DataView(bad.buffer).setUint16(20, 0x55, true) // MP3-in-WAV
    expect(() => parseWav(bad, 'mp3in.wav')).toThrow(/mp3in\.wav: unsupported WAV encoding: format tag 0x55/)
  })

  for (const [label, args, tag] of [
    ['16-bit', ['-acodec', 'pcm_s16le'], 1],
    ['24-bit', ['-acodec', 'pcm_s24le'], 0xfffe],
    ['32-bit int', ['-acodec', 'pcm_s32le'], 0xfffe],
    ['float32', ['-acodec', 'pcm_f32le'], 3],
    ['float64', ['-acodec', 'pcm_f64le'], 3],
    ['8-bit unsigned', ['-acodec', 'pcm_u8'], 1],
    ['mu-law', ['-acodec', 'pcm_mulaw'], 7],
    ['A-law', ['-acodec', 'pcm_alaw'], 6]
  ] as const) {
    it.skipIf(!HAVE.ffmpeg)(
      `reads ${label} WAV written by ffmpeg${HAVE.ffmpeg ? '' : ` (skipped: ${why('ffmpeg')})`}`,
      async () => {
        const a = testAudio(16000, 0.4, label === '16-bit' ? 2 : 3)
        const src = join(dir, `src-${label}.wav`)
        writeFileSync(src, encodeWav(a, { encoding: 'float32' }))
        const out = join(dir, `ff-${label.replace(/\W/g, '')}.wav`)
        run('ffmpeg', ['-v', 'error', '-y', '-i', src, ...args, out])
        const bytes = readFileSync(out)
        const parsed = parseWav(bytes, out)
        // ffmpeg writes WAVE_FORMAT_EXTENSIBLE for > 2 channels or > 16 bits: the sub-format carries the tag
        const rawTag = new DataView(bytes.buffer, bytes.byteOffset).getUint16(20, true)
        if (tag === 0xfffe) expect(rawTag).toBe(0xfffe)
        expect(parsed.sampleRate).toBe(16000)
        const got = await decodeAudio(out)
        expect(got.channels.length).toBe(a.channels.length)
        const tol =
          label === 'mu-law' || label === 'A-law'
            ? 0.02
            : label === '8-bit unsigned'
              ? 1 / 128
              : label === '16-bit'
                ? 1 / 32768
                : 1e-6
        for (let c = 0; c < a.channels.length; c++)
          expect(maxAbsDiff(got.channels[c], a.channels[c])).toBeLessThanOrEqual(tol)
      }
    )
  }
})

describe('Sun .au (GTZAN)', () => {
  it('round-trips its own 16-bit and float files', () => {
    const a = testAudio(22050, 0.3, 1)
    const back = parseAu(encodeAu(a))
    expect(back.encoding).toBe(3)
    expect(
      maxAbsDiff(
        back.channels[0],
        Float32Array.from(a.channels[0], (x) => Math.round(x * 32768) / 32768)
      )
    ).toBe(0)
    expect(maxAbsDiff(parseAu(encodeAu(a, 6)).channels[0], a.channels[0])).toBe(0)
  })

  for (const [label, args] of [
    ['8-bit mu-law (1)', ['-e', 'mu-law', '-b', '8']],
    ['8-bit linear (2)', ['-e', 'signed-integer', '-b', '8']],
    ['16-bit (3)', ['-e', 'signed-integer', '-b', '16']],
    ['24-bit (4)', ['-e', 'signed-integer', '-b', '24']],
    ['32-bit (5)', ['-e', 'signed-integer', '-b', '32']],
    ['float (6)', ['-e', 'floating-point', '-b', '32']],
    ['A-law (27)', ['-e', 'a-law', '-b', '8']]
  ] as const) {
    it.skipIf(!HAVE.sox)(
      `reads ${label} written by sox, matching sox's own decoding${HAVE.sox ? '' : ` (skipped: ${why('sox')})`}`,
      async () => {
        const a = testAudio(22050, 0.3, 2)
        const src = join(dir, 'au-src.wav')
        writeFileSync(src, encodeWav(a, { encoding: 'float32' }))
        const au = join(dir, `t-${label.replace(/\W/g, '')}.au`)
        run('sox', [src, ...args, au])
        // sox's decoding of the same file, as float WAV
        const ref = join(dir, `t-${label.replace(/\W/g, '')}-ref.wav`)
        run('sox', [au, '-e', 'floating-point', '-b', '32', ref])
        const got = await decodeAudio(au)
        const want = parseWav(readFileSync(ref))
        expect(got.sampleRate).toBe(22050)
        expect(got.channels.length).toBe(2)
        for (let c = 0; c < 2; c++)
          expect(maxAbsDiff(got.channels[c], want.channels[c])).toBeLessThanOrEqual(label.startsWith('32') ? 1e-7 : 0)
      }
    )
  }

  it('rejects unsupported encodings with the file named', () => {
    const bytes = encodeAu({ sampleRate: 8000, channels: [new Float32Array(4)] })
    new DataView(bytes.buffer).setUint32(12, 23) // G.721 ADPCM
    expect(() => parseAu(bytes, 'g721.au')).toThrow(/g721\.au: unsupported \.au encoding 23/)
  })
})

describe('decodeAudio picks the decoder by magic bytes', () => {
  it('decodes a WAV named .mp3 and an .au named .wav', async () => {
    const a = testAudio(8000, 0.1, 1)
    writeFileSync(join(dir, 'really-wav.mp3'), encodeWav(a))
    writeFileSync(join(dir, 'really-au.wav'), encodeAu(a))
    expect((await decodeAudio(join(dir, 'really-wav.mp3'))).sampleRate).toBe(8000)
    expect((await decodeAudio(join(dir, 'really-au.wav'))).channels[0].length).toBe(800)
  })

  it('names the file for unknown bytes and missing files', async () => {
    writeFileSync(join(dir, 'junk.wav'), Buffer.from('hello world, not audio'))
    await expect(decodeAudio(join(dir, 'junk.wav'))).rejects.toThrow(
      /junk\.wav: not a recognised audio file \(first bytes: 68 65 6c/
    )
    await expect(decodeAudio(join(dir, 'nope.wav'))).rejects.toMatchObject({ code: 'not_found' })
    const err = await decodeAudio(join(dir, 'junk.wav')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(B2mError)
  })

  it('sniffs containers', () => {
    const a = testAudio(8000, 0.05, 1)
    expect(sniffAudio(encodeWav(a))).toBe('wav')
    expect(sniffAudio(encodeAu(a))).toBe('au')
    expect(sniffAudio(encodeFlac(a))).toBe('flac')
    expect(sniffAudio(Uint8Array.from([0x4f, 0x67, 0x67, 0x53]))).toBe('ogg')
    expect(sniffAudio(Uint8Array.from([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3')
    expect(sniffAudio(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]))).toBe('mp3')
  })

  for (const [label, ext, args, sr, check] of [
    ['FLAC', 'flac', ['-acodec', 'flac'], 44100, 'exact'],
    ['MP3', 'mp3', ['-acodec', 'libmp3lame', '-b:a', '192k'], 44100, 'tone'],
    ['Ogg Vorbis', 'ogg', ['-acodec', 'libvorbis', '-q:a', '6'], 44100, 'tone'],
    ['Opus', 'opus', ['-acodec', 'libopus', '-b:a', '128k'], 48000, 'tone']
  ] as const) {
    it.skipIf(!HAVE.ffmpeg)(
      `decodes ${label} written by ffmpeg${HAVE.ffmpeg ? '' : ` (skipped: ${why('ffmpeg')})`}`,
      async () => {
        const a = testAudio(44100, 1, 2)
        const src = join(dir, `codec-src.wav`)
        writeFileSync(src, encodeWav(a))
        const out = join(dir, `codec.${ext}.bin`) // extension hidden on purpose
        run('ffmpeg', ['-v', 'error', '-y', '-i', src, ...args, '-f', ext === 'opus' ? 'ogg' : ext, out])
        const got = await decodeAudio(out)
        expect(got.sampleRate).toBe(sr)
        expect(got.channels.length).toBe(2)
        if (check === 'exact') {
          const q = parseWav(readFileSync(src))
          for (let c = 0; c < 2; c++) expect(maxAbsDiff(got.channels[c], q.channels[c])).toBe(0)
        } else {
          // lossy: duration within 60 ms (encoder delay/padding), the 440 Hz tone's level within 0.5 dB
          expect(Math.abs(got.channels[0].length / sr - 1)).toBeLessThan(0.08)
          const mid = Math.floor(got.channels[0].length / 2)
          const amp = toneAmplitude(got.channels[0], sr, 440, mid - 8000, mid + 8000)
          expect(Math.abs(20 * Math.log10(amp / 0.3))).toBeLessThan(0.5)
        }
      }
    )
  }
})

describe('FLAC encoder', () => {
  const cases: [string, AudioData, 16 | 24][] = [
    ['stereo 16-bit tones+noise', testAudio(44100, 1.3, 2), 16],
    ['stereo 24-bit tones+noise', testAudio(48000, 0.9, 2), 24],
    [
      'mono 16-bit with silence and white noise (constant + verbatim subframes), odd length',
      {
        sampleRate: 22050,
        channels: [
          (() => {
            const r = rng(5)
            return Float32Array.from({ length: 22050 + 77 }, (_, i) => (i < 9000 ? 0 : r() * 0.999))
          })()
        ]
      },
      16
    ],
    ['3 channels 24-bit, odd rate', testAudio(37800, 0.4, 3), 24]
  ]
  for (const [label, audio, bits] of cases) {
    it(`${label}: decodes back exactly with audio-decode${HAVE.flac ? ' and passes flac -t' : ''}`, async () => {
      const bytes = encodeFlac(audio, { bitsPerSample: bits })
      const full = 2 ** (bits - 1)
      const want = audio.channels.map((c) =>
        Float32Array.from(c, (x) => Math.max(-full, Math.min(full - 1, Math.round(x * full))) / full)
      )
      const got = await decodeAudioBytes(bytes)
      expect(got.sampleRate).toBe(audio.sampleRate)
      for (let c = 0; c < audio.channels.length; c++) expect(maxAbsDiff(got.channels[c], want[c])).toBe(0)
      const raw = audio.channels[0].length * audio.channels.length * (bits / 8)
      if (!label.includes('noise (constant')) expect(bytes.length).toBeLessThan(raw)
      if (HAVE.flac) {
        const f = join(dir, `enc-${bits}-${audio.channels.length}.flac`)
        writeFileSync(f, bytes)
        run('flac', ['-s', '-t', f]) // throws on a bad frame, CRC or MD5 mismatch
        const wav = join(dir, `enc-${bits}-${audio.channels.length}.wav`)
        run('flac', ['-s', '-d', '-f', '-o', wav, f])
        const ref = parseWav(readFileSync(wav))
        for (let c = 0; c < audio.channels.length; c++) expect(maxAbsDiff(ref.channels[c], want[c])).toBe(0)
      }
    })
  }
  it.skipIf(HAVE.flac)(`flac -t cross-check skipped: ${why('flac')}`, () => {})
})

describe('resampling (libsamplerate, sinc best)', () => {
  it('rejects a tone above the new Nyquist by > 80 dB and keeps an in-band tone within 0.1 dB', async () => {
    const from = 44100
    const to = 22050
    const n = from * 2
    const high = Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin((2 * Math.PI * 15000 * i) / from))
    const low = Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin((2 * Math.PI * 1000 * i) / from))
    const yh = await resampleChannel(high, from, to)
    const yl = await resampleChannel(low, from, to)
    expect(yh.length).toBe(to * 2)
    const edge = 2000
    const rejection = 20 * Math.log10(rms(yh, edge, yh.length - edge) / rms(high))
    expect(rejection).toBeLessThan(-80)
    const gain = 20 * Math.log10(toneAmplitude(yl, to, 1000, edge, yl.length - edge) / 0.9)
    expect(Math.abs(gain)).toBeLessThan(0.1)
  })

  it('is time-aligned and handles upsampling, odd ratios and stereo', async () => {
    const a = {
      sampleRate: 22050,
      channels: [0, 1].map((c) =>
        Float32Array.from({ length: 22050 }, (_, i) => Math.sin((2 * Math.PI * (300 + 200 * c) * i) / 22050))
      )
    }
    const up = await resample(a, 48000)
    expect(up.channels[0].length).toBe(48000)
    for (let c = 0; c < 2; c++) {
      let err = 0
      for (let i = 2000; i < 46000; i++)
        err = Math.max(err, Math.abs(up.channels[c][i] - Math.sin((2 * Math.PI * (300 + 200 * c) * i) / 48000)))
      expect(err).toBeLessThan(1e-4)
    }
    const odd = await resampleChannel(a.channels[0], 22050, 16000)
    expect(odd.length).toBe(16000)
  })

  it('handles signals longer than the one-shot limit without losing the tail', async () => {
    const from = 48000
    const n = from * 25
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 500 * i) / from))
    const y = await resampleChannel(x, from, 22050, 'fastest')
    expect(y.length).toBe(22050 * 25)
    const tailAmp = toneAmplitude(y, 22050, 500, y.length - 6000, y.length - 1000)
    expect(Math.abs(20 * Math.log10(tailAmp))).toBeLessThan(0.1)
  })

  it('mixes to mono by averaging', () => {
    expect(
      Array.from(toMono({ sampleRate: 1, channels: [Float32Array.from([1, 0]), Float32Array.from([0, 1])] }))
    ).toEqual([0.5, 0.5])
  })
})

describe('stimulus excerpts (ds003720 preparation) and GTZAN paths', () => {
  it('cuts 15 s from start, fades 2 s in and out, and normalises the RMS', () => {
    const sr = 22050
    const a = testAudio(sr, 30, 1, 0.3)
    const ex = cutExcerpt(a, 10, undefined, { targetRms: 0.05 })
    const x = ex.channels[0]
    expect(x.length).toBe(15 * sr)
    expect(rms(x)).toBeCloseTo(0.05, 6)
    expect(ex.paddedSeconds).toBe(0)
    // fade-in: first sample ~0, gain halfway through the fade is 0.5 (relative to the source)
    const i = sr // 1 s into the fade
    expect(x[0]).toBeCloseTo(0, 4)
    expect(x[i] / (a.channels[0][10 * sr + i] * ex.gain)).toBeCloseTo((i + 0.5) / (2 * sr), 5)
    // middle untouched except gain
    const j = 7 * sr
    expect(x[j]).toBeCloseTo(a.channels[0][10 * sr + j] * ex.gain, 6)
    // fade-out mirrors the fade-in
    expect(Math.abs(x[x.length - 1])).toBeLessThan(1e-3)
  })

  it('pads a source that ends early and refuses a start beyond the end', () => {
    const a = testAudio(8000, 29.9, 1)
    expect(cutExcerpt(a, 15).paddedSeconds).toBeCloseTo(0.1, 6)
    expect(() => cutExcerpt(a, 31, undefined, { file: 'blues.00001.au' })).toThrow(
      /blues\.00001\.au: excerpt starts at 31 s/
    )
  })

  it('resolves genre/genre.000TT.wav|au and lists what is missing', () => {
    const root = join(dir, 'gtzan')
    mkdirSync(join(root, 'blues'), { recursive: true })
    mkdirSync(join(root, 'genres', 'rock'), { recursive: true })
    writeFileSync(join(root, 'blues', 'blues.00003.au'), encodeAu(testAudio(22050, 0.1, 1)))
    writeFileSync(join(root, 'genres', 'rock', 'rock.00042.wav'), encodeWav(testAudio(22050, 0.1, 1)))
    expect(gtzanPath(root, 'blues', 3)).toBe(join(root, 'blues', 'blues.00003.au'))
    expect(gtzanPath(root, 'rock', 42)).toBe(join(root, 'genres', 'rock', 'rock.00042.wav'))
    expect(gtzanPath(root, 'jazz', 0)).toBeUndefined()
    const listing = listGtzan(root, [
      { genre: 'blues', track: 3 },
      { genre: 'rock', track: 42 },
      { genre: 'jazz', track: 54 }
    ])
    expect(listing.found.map((f) => f.track)).toEqual([3, 42])
    expect(listing.missing).toEqual([{ genre: 'jazz', track: 54, expected: join(root, 'jazz', 'jazz.00054.wav|au') }])
  })
})
