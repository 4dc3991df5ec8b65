/// <reference lib="dom" />
/**
 * The Decode & playback view end to end, in Debian Chromium against `b2m serve`, on a workspace decoded
 * through the real core (import, stimulus audio, embeddings, preprocessing, a ridge decoder, a library
 * at two loudness levels, retrieval and generation jobs): WebAudio play / seek / loop / A-B switch
 * asserted on the AudioContext clock and the player's state (headless Chromium has no sound card),
 * level matching checked against ffmpeg's BS.1770 meter, spectrograms drawn, clips exported with
 * sidecars, and a blinded listening test saved with its exact binomial p.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Locator, Page } from 'playwright-core'
import { screenshot, type PageProblems } from './harness'
import { apiOf, canvasColours, E2eSession, expectNoPageErrors, gotoView } from './page'
import { seedDecodeWorkspace, type DecodeSeed } from '../helpers/decode-seed'
import type { ClipInfo, LibraryItem, ListeningResult } from '../../src-preload/api'

const FFMPEG = spawnSync('which', ['ffmpeg']).status === 0

let dir: string
let seed: DecodeSeed
const app = new E2eSession()
let page: Page
let problems: PageProblems
let clips: ClipInfo[]
let items: LibraryItem[]

/** A call on the running server, as the browser face makes it. */
const api = apiOf(() => app.server)

beforeAll(async () => {
  dir = app.scratch('b2m-e2e-playback-')
  seed = await seedDecodeWorkspace(dir)
  await app.start({ workspace: seed.workspace })
  clips = await api<ClipInfo[]>('clips.list', { model: seed.decoderId })
  const libs = await api<{ id: number; name: string }[]>('library.list')
  const lib = libs.find((l) => l.name === seed.library)!
  items = (await api<{ items: LibraryItem[] }>('library.items', { id: lib.id, limit: 1000 })).items
}, 600_000)

afterAll(() => app.stop())

afterEach(() => app.closeTab())

async function openDecode(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  ;({ page, problems } = await app.open({ colorScheme, heading: false }))
  await gotoView(page, 'decode', 'Decode & playback')
  await panel().waitFor()
  await expect.poll(() => panel().getAttribute('data-ready'), { timeout: 30_000 }).toBe('true')
  return page
}

const panel = (): Locator => page.getByTestId('ab-panel')
const attr = async (name: string): Promise<number> => Number(await panel().getAttribute(name))

async function seekTo(seconds: number): Promise<void> {
  await page.getByTestId('ab-seek').evaluate((el, v) => {
    const input = el as HTMLInputElement
    input.value = String(v)
    input.dispatchEvent(new Event('input', { bubbles: true }))
  }, seconds)
}

/** ffmpeg's integrated loudness (ebur128) of the first `seconds` of a file. */
function ffmpegLufs(file: string, seconds: number): number {
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-nostats', '-t', String(seconds), '-i', file, '-af', 'ebur128', '-f', 'null', '-'],
    { encoding: 'utf8' }
  )
  const m = /Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS/.exec(r.stderr)
  if (r.status !== 0 || !m) throw new Error(`ffmpeg ebur128 failed on ${file}: ${r.stderr.slice(-500)}`)
  return Number(m[1])
}

/** Shows stimulus `stimulusId` with clip `clipId` as B and waits until both are decoded. */
async function showPair(stimulusId: number, clipId: number): Promise<void> {
  await page.locator(`[data-testid="decode-stimulus"][data-id="${stimulusId}"]`).click()
  const row = page.locator(`[data-testid="decode-candidate"][data-id="${clipId}"]`)
  await row.getByTestId('decode-candidate-play').check()
  await expect.poll(() => panel().getAttribute('data-ready'), { timeout: 30_000 }).toBe('true')
  await expect.poll(async () => (await panel().getAttribute('data-loudness-b')) !== '').toBe(true)
}

const itemOf = (c: ClipInfo): LibraryItem => items.find((i) => i.id === c.libraryItemId)!
const isLoud = (c: ClipInfo): boolean => seed.loud.includes(itemOf(c).path)

describe('Decode & playback', () => {
  test('the seeded workspace has a decoder with retrieved clips of both loudness levels', () => {
    expect(seed.testStimuli.length).toBeGreaterThanOrEqual(4)
    const retrieved = clips.filter((c) => c.method === 'retrieval')
    expect(retrieved.length).toBe(seed.testStimuli.length * 3)
    expect(retrieved.some(isLoud)).toBe(true)
    expect(retrieved.some((c) => !isLoud(c))).toBe(true)
    if (!seed.generated) console.warn(`no generated clips: ${seed.log.join('; ')}`)
  })

  test('play, seek, switch A/B, loop; waveforms and spectrograms of both sides', async () => {
    await openDecode('light')
    expect(await page.getByTestId('not-built').count()).toBe(0)
    expect(await page.getByTestId('nav-decode').locator('.tag').count()).toBe(0)
    expect(await page.getByTestId('decode-model').inputValue()).toBe(String(seed.decoderId))
    expect(Number(await page.getByTestId('decode-stimulus-count').textContent())).toBe(seed.testStimuli.length)
    expect(Number(await page.getByTestId('decode-clip-count').textContent())).toBe(clips.length)
    // The first stimulus's clips: retrieved ranks 1..3 first.
    const rows = page.getByTestId('decode-candidate')
    const first = Number(
      await page.locator('[data-testid="decode-stimulus"][aria-current="true"]').getAttribute('data-id')
    )
    expect(await rows.count()).toBe(clips.filter((c) => c.stimulusId === first).length)
    const methods = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-method')))
    expect(methods.slice(0, 3)).toEqual(['retrieval', 'retrieval', 'retrieval'])
    if (seed.generated) expect(methods.slice(3).length).toBeGreaterThan(0)

    // Both figures draw: a waveform and a viridis log-mel spectrogram each.
    for (const side of ['a', 'b']) {
      await expect
        .poll(() => canvasColours(page.getByTestId(`figure-${side}-spectrogram`)), { timeout: 15_000 })
        .toBeGreaterThan(50)
      await expect.poll(() => canvasColours(page.getByTestId(`figure-${side}-waveform`))).toBeGreaterThan(1)
    }
    const duration = await attr('data-duration')
    expect(duration).toBeGreaterThan(10)

    // Play: the AudioContext's clock runs and the playhead follows it.
    expect(await panel().getAttribute('data-playing')).toBe('false')
    await page.getByTestId('ab-play').click()
    await expect.poll(() => panel().getAttribute('data-playing')).toBe('true')
    const t0 = await attr('data-context-time')
    await expect.poll(() => attr('data-context-time'), { timeout: 10_000 }).toBeGreaterThan(t0 + 0.5)
    await expect.poll(() => attr('data-position'), { timeout: 10_000 }).toBeGreaterThan(0.3)

    // Seek while playing, then switch to B: the playhead carries over.
    await seekTo(6)
    await expect.poll(() => attr('data-position')).toBeGreaterThanOrEqual(6)
    expect(await attr('data-position')).toBeLessThan(9)
    await page.getByTestId('ab-select-b').click()
    await expect.poll(() => panel().getAttribute('data-active')).toBe('B')
    expect(await attr('data-position')).toBeGreaterThanOrEqual(6)
    expect(await panel().getAttribute('data-playing')).toBe('true')
    await page.getByTestId('ab-select-a').click()
    await expect.poll(() => panel().getAttribute('data-active')).toBe('A')

    // Loop: near the end it wraps to the start and keeps playing.
    await page.getByTestId('ab-loop').check()
    await expect.poll(() => panel().getAttribute('data-loop')).toBe('true')
    const d = await attr('data-duration')
    await seekTo(d - 0.4)
    await expect.poll(() => attr('data-position'), { timeout: 10_000 }).toBeLessThan(2)
    expect(await panel().getAttribute('data-playing')).toBe('true')
    // Without loop, playback stops at the end.
    await page.getByTestId('ab-loop').uncheck()
    await seekTo(d - 0.4)
    await expect.poll(() => panel().getAttribute('data-playing'), { timeout: 10_000 }).toBe('false')

    // Drag across figure A from 20 % to 30 % of the clip: that passage loops.
    const box = (await page.getByTestId('figure-a-spectrogram').boundingBox())!
    const y = box.y + box.height / 2
    await page.mouse.move(box.x + box.width * 0.2, y)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.25, y, { steps: 3 })
    await page.mouse.move(box.x + box.width * 0.3, y, { steps: 3 })
    await page.mouse.up()
    await expect.poll(() => panel().getAttribute('data-loop')).toBe('true')
    const ls = await attr('data-loop-start')
    const le = await attr('data-loop-end')
    expect(Math.abs(ls - 0.2 * d)).toBeLessThan(0.2)
    expect(Math.abs(le - 0.3 * d)).toBeLessThan(0.2)
    await page.getByTestId('figure-a-region').waitFor()
    await page.getByTestId('ab-play').click()
    await expect.poll(() => panel().getAttribute('data-playing')).toBe('true')
    // Over more than one pass the playhead stays inside the passage and wraps back at least once.
    const seen: number[] = []
    const until = Date.now() + (le - ls) * 1000 + 1500
    while (Date.now() < until) {
      seen.push(await attr('data-position'))
      await page.waitForTimeout(100)
    }
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(ls - 0.01)
      expect(v).toBeLessThanOrEqual(le + 0.01)
    }
    expect(seen.some((v, i) => i > 0 && v < seen[i - 1]! - 0.5)).toBe(true)
    await screenshot(page, 'playback-region-light')
    // Keys on the focused panel: B and A switch, L toggles the loop, Space pauses.
    await page.getByTestId('ab-panel').focus()
    await page.keyboard.press('b')
    await expect.poll(() => panel().getAttribute('data-active')).toBe('B')
    await page.keyboard.press('a')
    await expect.poll(() => panel().getAttribute('data-active')).toBe('A')
    await page.keyboard.press('l')
    await expect.poll(() => panel().getAttribute('data-loop')).toBe('false')
    await page.keyboard.press(' ')
    await expect.poll(() => panel().getAttribute('data-playing')).toBe('false')
    await page.getByTestId('ab-region-clear').click()
    expect(await panel().getAttribute('data-loop-start')).toBe('')

    // Pause keeps the playhead.
    await page.getByTestId('ab-play').click()
    await expect.poll(() => panel().getAttribute('data-playing')).toBe('true')
    await page.getByTestId('ab-play').click()
    await expect.poll(() => panel().getAttribute('data-playing')).toBe('false')
    const held = await attr('data-position')
    await page.waitForTimeout(300)
    expect(await attr('data-position')).toBe(held)

    await screenshot(page, 'playback-light')
    expectNoPageErrors(problems)
  })

  test('A/B is level-matched: the louder side is brought down to the quieter one (BS.1770, as ffmpeg measures)', async () => {
    await openDecode('light')
    const retrieved = clips.filter((c) => c.method === 'retrieval')
    const loud = retrieved.find(isLoud)!
    const quiet = retrieved.find((c) => !isLoud(c))!
    const libRoot = (await api<{ name: string; root: string }[]>('library.list')).find(
      (l) => l.name === seed.library
    )!.root

    const measured: Record<string, { la: number; lb: number; ga: number; gb: number }> = {}
    for (const [name, c] of [
      ['loud', loud],
      ['quiet', quiet]
    ] as const) {
      await showPair(c.stimulusId!, c.id)
      const la = await attr('data-loudness-a')
      const lb = await attr('data-loudness-b')
      const ga = await attr('data-gain-a')
      const gb = await attr('data-gain-b')
      measured[name] = { la, lb, ga, gb }
      // Matched: loudness + gain (dB) is equal on both sides, and nothing is amplified.
      expect(la + 20 * Math.log10(ga)).toBeCloseTo(lb + 20 * Math.log10(gb), 6)
      expect(Math.max(ga, gb)).toBe(1)
      if (FFMPEG) expect(Math.abs(lb - ffmpegLufs(join(libRoot, itemOf(c).path), 15))).toBeLessThan(0.3)
    }
    // Stimuli are normalised to RMS 0.1; the loud library tracks are louder and the quiet ones quieter.
    expect(measured.loud!.gb).toBeLessThan(0.9)
    expect(measured.loud!.ga).toBe(1)
    expect(measured.quiet!.ga).toBeLessThan(0.9)
    expect(measured.quiet!.gb).toBe(1)
    expect(await page.getByTestId('ab-gain-a').textContent()).toMatch(/^−?-?\d+\.\d dB$/)
    expectNoPageErrors(problems)
  })

  test('a clip whose audio vanished from disk says so, naming the file', async () => {
    await openDecode('light')
    const stims = page.getByTestId('decode-stimulus')
    const last = stims.last()
    const id = Number(await last.getAttribute('data-id'))
    const top = clips.find((c) => c.stimulusId === id && c.method === 'retrieval' && c.rank === 1)!
    const libRoot = (await api<{ name: string; root: string }[]>('library.list')).find(
      (l) => l.name === seed.library
    )!.root
    const file = join(libRoot, itemOf(top).path)
    renameSync(file, `${file}.away`)
    try {
      await last.click()
      const err = page.getByTestId('ab-error')
      await err.waitFor({ timeout: 15_000 })
      expect(await err.textContent()).toContain(itemOf(top).path.split('/').pop()!)
      // The original still loaded and plays.
      await expect.poll(() => page.getByTestId('figure-a').getAttribute('data-ready')).toBe('true')
    } finally {
      renameSync(`${file}.away`, file)
    }
    const failed = /status of (404|500|400)/
    expect(problems.errors.filter((e) => !failed.test(e))).toEqual([])
  })

  test('selected clips export as FLAC and WAV with provenance sidecars; a bad folder is refused by name', async () => {
    await openDecode('light')
    const out = join(dir, 'export')
    const rows = page.getByTestId('decode-candidate')
    const ids = [Number(await rows.nth(0).getAttribute('data-id')), Number(await rows.nth(1).getAttribute('data-id'))]
    await rows.nth(0).getByTestId('decode-candidate-select').check()
    await rows.nth(1).getByTestId('decode-candidate-select').check()
    await page.getByTestId('decode-export-format').selectOption('flac')
    await page.getByTestId('decode-export-folder').fill(out)
    await page.getByTestId('decode-export-submit').click()
    const files = page.getByTestId('decode-export-file')
    await expect.poll(() => files.count(), { timeout: 30_000 }).toBe(2)
    const paths = await files.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!))
    for (const p of paths) {
      expect(p.startsWith(out)).toBe(true)
      expect(p.endsWith('.flac')).toBe(true)
      expect(readFileSync(p).subarray(0, 4).toString('latin1')).toBe('fLaC')
      const sidecar = JSON.parse(readFileSync(p.replace(/\.flac$/, '.json'), 'utf8')) as Record<string, unknown>
      expect(JSON.stringify(sidecar)).toMatch(/retrieval/)
    }
    expect(paths.map((p) => ids.some((id) => p.includes(`clip-${id}-`)))).toEqual([true, true])

    await page.getByTestId('decode-export-format').selectOption('wav')
    await page.getByTestId('decode-export-submit').click()
    await expect
      .poll(async () => (await files.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!))).join(','), {
        timeout: 30_000
      })
      .toMatch(/\.wav,.*\.wav$/)
    for (const p of await files.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!))) {
      expect(readFileSync(p).subarray(0, 4).toString('latin1')).toBe('RIFF')
      expect(existsSync(p.replace(/\.wav$/, '.json'))).toBe(true)
    }

    // A folder that is a file: a clear error naming it, nothing written.
    const notDir = join(dir, 'not-a-folder')
    writeFileSync(notDir, 'x')
    await page.getByTestId('decode-export-folder').fill(notDir)
    await page.getByTestId('decode-export-submit').click()
    await page.getByTestId('error').waitFor()
    expect(await page.getByTestId('error-message').textContent()).toContain(notDir)
    expect(readFileSync(notDir, 'utf8')).toBe('x')
    // The refusal's HTTP 400 is the one console error Chromium logs; nothing else went wrong.
    const refused = /status of 400 .*\/api\/call\/clips\.export/
    expect(problems.errors.filter((e) => refused.test(e)).length).toBe(1)
    expect(problems.errors.filter((e) => !refused.test(e))).toEqual([])
  })

  test('a blinded listening test of four trials is saved with its exact one-sided binomial p', async () => {
    await openDecode('dark')
    await screenshot(page, 'playback-dark')
    const box = page.getByTestId('listening')
    await box.scrollIntoViewIfNeeded()
    await page.getByTestId('listening-method').selectOption('retrieval')
    await page.getByTestId('listening-count').fill('4')
    await page.getByTestId('listening-start').click()
    const answers = ['A', 'B', 'A', 'A']
    for (let i = 0; i < answers.length; i++) {
      const trial = page.getByTestId('listening-trial')
      await expect.poll(() => trial.getAttribute('data-index')).toBe(String(i))
      expect(await trial.getAttribute('data-total')).toBe('4')
      // Nothing on screen tells the right side: no clip names, scores or ids before the end.
      expect(await trial.textContent()).not.toMatch(/clip \d|score|retriev/i)
      await expect.poll(() => page.getByTestId('listening-play-o').isEnabled(), { timeout: 30_000 }).toBe(true)
      if (i === 0) {
        await page.getByTestId('listening-play-o').click()
        await expect.poll(() => page.getByTestId('listening-play-o').textContent()).toMatch(/Stop/)
        await page.getByTestId('listening-play-a').click()
        await expect.poll(() => page.getByTestId('listening-play-a').textContent()).toMatch(/Stop/)
        // One player for O, A and B: starting A stopped the original.
        expect(await page.getByTestId('listening-play-o').textContent()).not.toMatch(/Stop/)
        await screenshot(page, 'playback-listening-dark')
      }
      await page.getByTestId(`listening-answer-${answers[i]!.toLowerCase()}`).click()
    }
    const result = page.getByTestId('listening-result')
    await result.waitFor({ timeout: 30_000 })
    const reveal = page.getByTestId('listening-reveal')
    expect(await reveal.count()).toBe(4)
    const rows = await reveal.evaluateAll((els) =>
      els.map((e) => ({ correct: e.getAttribute('data-correct'), answer: e.getAttribute('data-answer') }))
    )
    expect(rows.map((r) => r.answer)).toEqual(answers)
    const k = rows.filter((r) => r.correct === r.answer).length
    // P(X >= k), X ~ Binomial(4, 1/2): C(4,i) = 1, 4, 6, 4, 1 over 16.
    const C4 = [1, 4, 6, 4, 1]
    const p = C4.slice(k).reduce((a, b) => a + b, 0) / 16
    expect(Number(await result.getAttribute('data-n'))).toBe(4)
    expect(Number(await result.getAttribute('data-correct'))).toBe(k)
    expect(Number(await result.getAttribute('data-p'))).toBe(p)
    const saved = await api<ListeningResult[]>('listening.list')
    const last = saved.at(-1)!
    expect(last).toMatchObject({
      id: Number(await result.getAttribute('data-id')),
      n: 4,
      correct: k,
      p,
      modelId: seed.decoderId
    })
    await result.scrollIntoViewIfNeeded()
    await screenshot(page, 'playback-listening-result-dark')
    expectNoPageErrors(problems)
  })
})
