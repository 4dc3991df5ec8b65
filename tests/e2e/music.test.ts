/// <reference lib="dom" />
/**
 * The Music view end to end, in Debian Chromium against `b2m serve`. The workspace is seeded through the
 * real core (mini ds003720 import, audio attached for a few stimuli from a GTZAN-like folder, a small
 * feature set, a small library); then, from the UI: the stimuli are listed, filtered and one is played
 * (decoded by the page's own <audio> element), more audio is attached, a feature set is computed with
 * progress, a library with one unreadable file is added, and a missing folder fails with a clear message.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { Core } from '../../src-main/api/core'
import { encodeWav } from '../../src-main/formats/audio'
import type { FeatureSetInfo, LibraryInfo, StimulusInfo } from '../../src-preload/api'
import { screenshot, watchPage, type PageProblems } from './harness'
import { apiOf, E2eSession, electronBridgeScript, expectNoPageErrors, followJob, gotoView } from './page'
import { coreCalls } from '../helpers/core'
import { genreSynth } from '../helpers/decode-seed'
import { writeMiniDs003720 } from '../helpers/mini-bids'

const SR = 22050
/** Files of the seeded library that pages (the items table shows 50 at a time). */
const MANY = 55

let dir: string
let wsDir: string
/** Tracks for a few stimuli (attached while seeding). */
let gtzanSeed: string
/** Tracks for more stimuli, and one file that is not audio (attached from the UI). */
let gtzanMore: string
let libUi: string
const app = new E2eSession()
let page: Page
let problems: PageProblems
let stimuli: StimulusInfo[]
/** The stimulus whose track in gtzanMore is not audio. */
let corrupt: StimulusInfo

const api = apiOf(() => app.server)

/** The genre-styled test signal the decode seed uses, at full amplitude. */
const synth = (genre: string, track: number, seconds: number): Float32Array => genreSynth(genre, track, seconds, 1, SR)

const wav = (x: Float32Array) => encodeWav({ sampleRate: SR, channels: [x] })

/** Writes each stimulus's track as GTZAN names it: genre/genre.000TT.wav (30 s, or past the excerpt's end). */
function writeTracks(root: string, list: StimulusInfo[]): void {
  for (const s of list) {
    const track = Number(s.track)
    mkdirSync(join(root, s.genre!), { recursive: true })
    const name = `${s.genre}.${String(track).padStart(5, '0')}.wav`
    writeFileSync(join(root, s.genre!, name), wav(synth(s.genre!, track, Math.max(30, s.end! + 0.5))))
  }
}

/** A folder of music: a few WAV files in genre folders. */
function writeLibrary(root: string, files: { path: string; genre: string; track: number; seconds?: number }[]): void {
  for (const f of files) {
    mkdirSync(join(root, f.path, '..'), { recursive: true })
    writeFileSync(join(root, f.path), wav(synth(f.genre, f.track, f.seconds ?? 12)))
  }
}

async function seed(): Promise<void> {
  const data = join(dir, 'ds')
  await writeMiniDs003720(data, [
    { task: 'Training', run: 1 },
    { task: 'Test', run: 1 }
  ])
  const core = Core.open(wsDir, { face: 'cli', runJobs: true })
  try {
    const { call, succeed: run } = coreCalls(() => core)
    await run('import.bids', { path: data })
    stimuli = await call<StimulusInfo[]>('stimuli.list')
    const test = stimuli.filter((s) => s.role === 'test')
    const train = stimuli.filter((s) => s.role === 'train')
    writeTracks(gtzanSeed, [...test.slice(0, 2), ...train.slice(0, 2)])
    writeTracks(gtzanMore, [...test, ...train.slice(0, 6)])
    corrupt = train[6]
    mkdirSync(join(gtzanMore, corrupt.genre!), { recursive: true })
    writeFileSync(
      join(gtzanMore, corrupt.genre!, `${corrupt.genre}.${String(Number(corrupt.track)).padStart(5, '0')}.wav`),
      'not a wav file at all'
    )
    await run('stimuli.attach', { folder: gtzanSeed })
    await run('features.compute', { name: 'seeded-whole', window: 15, step: 15 })
    const libSeed = join(dir, 'lib-seed')
    writeLibrary(libSeed, [
      { path: 'blues/a.wav', genre: 'blues', track: 1 },
      { path: 'jazz/b.wav', genre: 'jazz', track: 2 }
    ])
    await run('library.add', { folder: libSeed, seconds: 10 })
    // More files than one page of the items table (50), each a second long.
    const libMany = join(dir, 'lib-many')
    writeLibrary(
      libMany,
      Array.from({ length: MANY }, (_, i) => ({
        path: `g${i % 3}/clip-${String(i).padStart(3, '0')}.wav`,
        genre: 'pop',
        track: i,
        seconds: 1
      }))
    )
    await run('library.add', { folder: libMany, seconds: 1 })
  } finally {
    await core.close()
  }
  writeLibrary(libUi, [
    { path: 'rock/one.wav', genre: 'rock', track: 3 },
    { path: 'rock/two.wav', genre: 'rock', track: 4 },
    { path: 'pop/three.wav', genre: 'pop', track: 5 }
  ])
  writeFileSync(join(libUi, 'pop', 'broken.wav'), 'this is text, not RIFF audio')
  writeFileSync(join(libUi, 'README.txt'), 'not audio: not even looked at')
}

beforeAll(async () => {
  dir = app.scratch('b2m-e2e-music-')
  wsDir = join(dir, 'ws')
  gtzanSeed = join(dir, 'gtzan-seed')
  gtzanMore = join(dir, 'gtzan-more')
  libUi = join(dir, 'lib-ui')
  await seed()
  await app.start({ workspace: wsDir })
}, 300_000)

afterAll(() => app.stop())

afterEach(() => app.closeTab())

async function openMusic(colorScheme: 'light' | 'dark' = 'light', tab = 'stimuli'): Promise<Page> {
  ;({ page, problems } = await app.open({ colorScheme }))
  await gotoView(page, 'music', 'Music')
  if (tab !== 'stimuli') await page.getByTestId(`music-tab-${tab}`).click()
  await page.getByTestId(`music-panel-${tab}`).waitFor()
  return page
}

describe('music: stimuli, feature sets, libraries', () => {
  test('stimuli are listed and filtered; one plays, decoded by the page', async () => {
    await openMusic('light')
    expect(await page.getByTestId('nav-music').locator('.tag').count()).toBe(0)
    expect(await page.getByTestId('not-built').count()).toBe(0)
    // A browser tab has no folder dialog: the path is typed.
    expect(await page.getByTestId('attach-folder-pick').count()).toBe(0)
    const rows = page.getByTestId('stimulus-row')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(stimuli.length)
    const withAudio = (await api<StimulusInfo[]>('stimuli.list')).filter((s) => s.audio)
    expect(withAudio.length).toBeGreaterThan(0)
    expect(await page.getByTestId('stimuli-total').textContent()).toBe(String(stimuli.length))
    expect(await page.getByTestId('stimuli-with-audio').textContent()).toBe(String(withAudio.length))

    // Filters: the test role, then one genre, then only those missing audio.
    const nTest = stimuli.filter((s) => s.role === 'test').length
    await page.getByTestId('filter-role').selectOption('test')
    await expect.poll(() => rows.count()).toBe(nTest)
    expect(new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-role'))))).toEqual(
      new Set(['test'])
    )
    await page.getByTestId('filter-role').selectOption('')
    const genre = withAudio[0].genre!
    await page.getByTestId('filter-genre').selectOption(genre)
    await expect.poll(() => rows.count()).toBe(stimuli.filter((s) => s.genre === genre).length)
    await page.getByTestId('filter-genre').selectOption('')
    await page.getByTestId('filter-missing').check()
    await expect.poll(() => rows.count()).toBe(stimuli.length - withAudio.length)
    expect(new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-audio'))))).toEqual(
      new Set(['false'])
    )
    // Without audio there is nothing to play.
    expect(await rows.first().getByTestId('stimulus-play').isDisabled()).toBe(true)
    await page.getByTestId('filter-missing').uncheck()
    await expect.poll(() => rows.count()).toBe(stimuli.length)

    // Play one: the excerpt's WAV arrives as a Blob URL and the page's <audio> element decodes it.
    const target = withAudio[0]
    const row = page.locator(`[data-testid="stimulus-row"][data-stimulus-id="${target.id}"]`)
    await row.getByTestId('stimulus-play').click()
    const audio = page.getByTestId('stimulus-audio')
    await audio.waitFor({ timeout: 15_000 })
    const expected = target.end! - target.start!
    await expect
      .poll(() => audio.evaluate((el) => (el as HTMLAudioElement).duration), { timeout: 15_000 })
      .toBeGreaterThan(0)
    const media = await audio.evaluate((el) => {
      const a = el as HTMLAudioElement
      return { duration: a.duration, error: a.error?.message ?? null, src: a.src }
    })
    expect(media.error).toBeNull()
    expect(media.src.startsWith('blob:')).toBe(true)
    expect(media.duration).toBeCloseTo(expected, 1)
    // Decoded samples, not just a header: playback moves the clock.
    await expect
      .poll(() => audio.evaluate((el) => (el as HTMLAudioElement).currentTime), { timeout: 20_000 })
      .toBeGreaterThan(0)
    expect(await page.getByTestId('stimulus-player').textContent()).toContain(`${expected.toFixed(2)} s`)
    await screenshot(page, 'music-stimuli-light')
    // Pause from the row's own button (keyboard), then close.
    await row.getByTestId('stimulus-play').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => audio.evaluate((el) => (el as HTMLAudioElement).paused)).toBe(true)
    expectNoPageErrors(problems)
  })

  test('attach audio from the UI: progress, then what is missing and why', async () => {
    await openMusic('light')
    const before = (await api<StimulusInfo[]>('stimuli.list')).filter((s) => s.audio).length
    await page.getByTestId('attach-folder').fill(gtzanMore)
    await page.getByTestId('attach-start').click()
    const job = page.getByTestId('attach-job')
    await job.waitFor()
    const messages = await followJob(job, 'attach-job', 90_000)
    expect(await job.getByTestId('attach-job-percent').textContent()).toBe('100%')
    expect([...messages].some((m) => m.length > 0)).toBe(true)
    const after = (await api<StimulusInfo[]>('stimuli.list')).filter((s) => s.audio).length
    expect(after).toBeGreaterThan(before)
    expect(await job.getByTestId('attach-attached').textContent()).toBe(String(after - before))
    expect(await job.getByTestId('attach-missing-count').textContent()).toBe(String(stimuli.length - after))
    // The corrupt track is named with its problem; the others say they are not in the folder.
    const bad = job.locator('[data-testid="attach-missing-row"]', { hasText: corrupt.key })
    await page
      .getByTestId('attach-result')
      .locator('details')
      .evaluate((d) => ((d as HTMLDetailsElement).open = true))
    expect(await bad.textContent()).toMatch(/not a recognised audio file/)
    // Listed first: a track that is there but unusable needs fixing; absent ones may just not be downloaded.
    expect(await job.getByTestId('attach-missing-row').first().textContent()).toContain(corrupt.key)
    expect(await job.getByTestId('attach-missing').textContent()).toMatch(/no such track in the folder/)
    // The list follows: the totals and every row's audio state.
    await expect.poll(() => page.getByTestId('stimuli-with-audio').textContent()).toBe(String(after))
    await expect.poll(() => page.locator('[data-testid="stimulus-row"][data-audio="true"]').count()).toBe(after)
    await job.scrollIntoViewIfNeeded()
    await screenshot(page, 'music-attach-light')
    expectNoPageErrors(problems)
  })

  test('compute a feature set from the UI with progress, and read its details', async () => {
    await openMusic('light', 'features')
    const rows = page.getByTestId('feature-set-row')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1)
    expect(await rows.first().getAttribute('data-name')).toBe('seeded-whole')
    // The form says what is wrong before it lets a job start.
    await page.getByTestId('compute-name').fill('seeded-whole')
    expect(await page.getByTestId('compute-problem').textContent()).toContain('exists already')
    expect(await page.getByTestId('compute-start').isDisabled()).toBe(true)
    await page.getByTestId('compute-name').fill('ui-windows')
    await page.getByTestId('compute-window').fill('10')
    await page.getByTestId('compute-step').fill('5')
    await page.getByTestId('compute-use-pca').check()
    await page.getByTestId('compute-pca').fill('8')
    await page.getByTestId('compute-start').click()
    const job = page.getByTestId('compute-job')
    await job.waitFor()
    const messages = await followJob(job, 'compute-job', 120_000)
    expect(Number(await job.getByTestId('job-progress').getAttribute('data-progress'))).toBe(1)
    expect([...messages].some((m) => m.length > 0)).toBe(true)

    // A 15 s clip holds two 10 s windows at a 5 s step: two rows per stimulus with audio, 8 PCA dims.
    const withAudio = (await api<StimulusInfo[]>('stimuli.list')).filter((s) => s.audio)
    const sets = await api<FeatureSetInfo[]>('features.list')
    const made = sets.find((s) => s.name === 'ui-windows')!
    expect(made.rows).toBe(2 * withAudio.length)
    expect(made.dim).toBe(8)
    expect(await job.getByTestId('compute-result').textContent()).toContain(`${made.rows} rows × 8 dims`)
    await expect.poll(() => rows.count()).toBe(2)
    const row = page.locator('[data-testid="feature-set-row"][data-name="ui-windows"]')
    expect(await row.getByTestId('feature-set-rows').textContent()).toBe(String(made.rows))
    expect(await row.getByTestId('feature-set-dim').textContent()).toBe('8')
    expect(await row.getByTestId('feature-set-transform').textContent()).toBe('z-score + PCA 8')
    // The new set opens in detail: its window starts, train/test rows, transform and provenance.
    const detail = page.getByTestId('feature-set-detail')
    await expect.poll(() => detail.locator('h2').textContent()).toContain('ui-windows')
    expect(await detail.getByTestId('detail-windows').textContent()).toBe('2')
    expect(await detail.getByTestId('detail-starts').textContent()).toBe('0, 5')
    const nTest = withAudio.filter((s) => s.role === 'test').length
    expect(await detail.getByTestId('detail-test').textContent()).toBe(String(2 * nTest))
    expect(await detail.getByTestId('detail-train').textContent()).toBe(String(2 * (withAudio.length - nTest)))
    expect(await detail.getByTestId('detail-transform').textContent()).toMatch(/\S/)
    expect(await detail.getByTestId('detail-provenance').textContent()).toContain('extractor')
    await detail.scrollIntoViewIfNeeded()
    await screenshot(page, 'music-features-light')

    // The keyboard picks the other set from the table.
    await page.locator('[data-testid="feature-set-row"][data-name="seeded-whole"]').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => detail.locator('h2').textContent()).toContain('seeded-whole')
    expect(await detail.getByTestId('detail-windows').textContent()).toBe('1')
    expectNoPageErrors(problems)
  })

  test('a long computation shows progress and can be cancelled, leaving no feature set', async () => {
    await openMusic('light', 'features')
    const before = await api<FeatureSetInfo[]>('features.list')
    await expect.poll(() => page.getByTestId('feature-set-row').count(), { timeout: 15_000 }).toBe(before.length)
    // 1 s windows every 50 ms: hundreds of windows per clip, far more work than the cancel takes to arrive.
    await page.getByTestId('compute-name').fill('ui-cancelled')
    await page.getByTestId('compute-window').fill('1')
    await page.getByTestId('compute-step').fill('0.05')
    await page.getByTestId('compute-start').click()
    const job = page.getByTestId('compute-job')
    await expect
      .poll(async () => Number(await job.getByTestId('job-progress').getAttribute('data-progress')), {
        timeout: 60_000
      })
      .toBeGreaterThan(0)
    expect(await job.getAttribute('data-state')).toBe('running')
    expect(await page.getByTestId('compute-start').isDisabled()).toBe(true)
    await job.getByTestId('compute-job-cancel').click()
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled')
    expect(await job.textContent()).toContain('nothing of this feature set was kept')
    expect(await api<FeatureSetInfo[]>('features.list')).toEqual(before)
    expect(await page.getByTestId('feature-set-row').count()).toBe(before.length)
    // The form is free again.
    expect(await page.getByTestId('compute-start').isDisabled()).toBe(false)
    expectNoPageErrors(problems)
  })

  test('add a library from the UI: items paged, the unreadable file listed with its error', async () => {
    await openMusic('light', 'libraries')
    const rows = page.getByTestId('library-row')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2)
    await page.getByTestId('library-folder').fill(libUi)
    await page.getByTestId('library-name').fill('ui-lib')
    await page.getByTestId('library-seconds').fill('10')
    await page.getByTestId('library-start').click()
    const job = page.getByTestId('library-job')
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded')
    expect(await job.getByTestId('library-job-percent').textContent()).toBe('100%')
    expect(await job.getByTestId('library-embedded').textContent()).toBe('3')
    expect(await job.getByTestId('library-unreadable-count').textContent()).toBe('1 unreadable')

    await expect.poll(() => rows.count()).toBe(3)
    const row = page.locator('[data-testid="library-row"][data-name="ui-lib"]')
    expect(await row.getByTestId('library-items').textContent()).toBe('4')
    expect(await row.getByTestId('library-row-embedded').textContent()).toBe('3')
    expect(await row.getByTestId('library-row-unreadable').textContent()).toBe('1')
    // The new library opens: its four audio files (the .txt is not one), the broken one flagged.
    const detail = page.getByTestId('library-detail')
    await expect.poll(() => detail.getByTestId('library-item').count(), { timeout: 15_000 }).toBe(4)
    expect(await detail.getByTestId('items-range').textContent()).toBe('1–4 of 4')
    expect(
      (
        await detail.getByTestId('library-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))
      ).sort()
    ).toEqual(['pop/broken.wav', 'pop/three.wav', 'rock/one.wav', 'rock/two.wav'])
    expect(await detail.locator('[data-testid="library-item"][data-readable="false"]').getAttribute('data-path')).toBe(
      'pop/broken.wav'
    )
    const unreadable = detail.getByTestId('library-unreadable-item')
    await expect.poll(() => unreadable.count()).toBe(1)
    expect(await unreadable.getAttribute('data-path')).toBe('pop/broken.wav')
    // The core's reason, with the file named once (its path relative to the library's folder).
    const why = (await unreadable.textContent()) ?? ''
    expect(why).toContain('not a recognised audio file')
    expect(why).not.toContain(libUi)
    expect(await page.getByTestId('items-next').isDisabled()).toBe(true)
    const libs = await api<LibraryInfo[]>('library.list')
    expect(libs.find((l) => l.name === 'ui-lib')?.unreadable).toBe(1)
    await detail.scrollIntoViewIfNeeded()
    await screenshot(page, 'music-libraries-light')
    // The Jobs view reads the finished scan the same way.
    await page.getByTestId('nav-jobs').click()
    const card = page.locator('[data-testid="job-row"][data-kind="library.add"][data-state="succeeded"]').first()
    await expect
      .poll(() => card.getByTestId('job-result').textContent(), { timeout: 15_000 })
      .toBe('ui-lib: 4 files · 3 embedded · 0 unchanged · 1 unreadable')
    expectNoPageErrors(problems)
  })

  test('a library larger than a page is paged through, with the keyboard too', async () => {
    await openMusic('light', 'libraries')
    const row = page.locator('[data-testid="library-row"][data-name="lib-many"]')
    await row.waitFor({ timeout: 15_000 })
    expect(await row.getByTestId('library-items').textContent()).toBe(String(MANY))
    await row.focus()
    await page.keyboard.press('Enter')
    const detail = page.getByTestId('library-detail')
    const items = detail.getByTestId('library-item')
    await expect
      .poll(() => detail.getByTestId('items-range').textContent(), { timeout: 15_000 })
      .toBe(`1–50 of ${MANY}`)
    expect(await items.count()).toBe(50)
    expect(await detail.getByTestId('items-prev').isDisabled()).toBe(true)
    const firstPage = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))
    await detail.getByTestId('items-next').click()
    await expect.poll(() => detail.getByTestId('items-range').textContent()).toBe(`51–${MANY} of ${MANY}`)
    expect(await items.count()).toBe(MANY - 50)
    expect(await detail.getByTestId('items-next').isDisabled()).toBe(true)
    const secondPage = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))
    // The two pages hold every file once.
    expect(new Set([...firstPage, ...secondPage]).size).toBe(MANY)
    await detail.getByTestId('items-prev').click()
    await expect.poll(() => detail.getByTestId('items-range').textContent()).toBe(`1–50 of ${MANY}`)
    expect(await detail.getByTestId('library-unreadable').count()).toBe(0)
    expectNoPageErrors(problems)
  })

  test('a folder that does not exist fails naming it, and changes nothing', async () => {
    await openMusic('light', 'libraries')
    const missing = join(dir, 'no-such-music')
    const before = await api<LibraryInfo[]>('library.list')
    await page.getByTestId('library-folder').fill(missing)
    await page.getByTestId('library-start').click()
    const job = page.getByTestId('library-job')
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('failed')
    const error = await job.getByTestId('library-job-error').textContent()
    expect(error).toContain(missing)
    expect(error).toContain('does not exist or is not a folder')
    expect(error).toContain('the catalogue and workspace are as they were')
    expect(await api<LibraryInfo[]>('library.list')).toEqual(before)
    await job.scrollIntoViewIfNeeded()
    await screenshot(page, 'music-library-failed-light')
    expectNoPageErrors(problems)
  })

  test('where the face has a folder dialog, "Choose folder…" fills the path', async () => {
    // The Electron preload's bridge, carried over HTTP (electronBridgeScript); the native dialog itself is
    // Electron's (src-main/app), so here it answers with a chosen folder the way dialog.showOpenDialog does.
    const context = await app.newContext()
    await context.addInitScript(electronBridgeScript(app.server.token, { pickFolder: libUi }))
    page = await context.newPage()
    problems = watchPage(page)
    await page.goto(app.server.url)
    await page.getByTestId('view-heading').waitFor()
    await expect.poll(() => page.getByTestId('status-face').getAttribute('data-face')).toBe('electron')
    await page.getByTestId('nav-music').click()
    await page.getByTestId('music-tab-libraries').click()
    await page.getByTestId('library-folder-pick').click()
    await expect.poll(() => page.getByTestId('library-folder').inputValue()).toBe(libUi)
    await page.getByTestId('music-tab-stimuli').click()
    await page.getByTestId('attach-folder-pick').click()
    await expect.poll(() => page.getByTestId('attach-folder').inputValue()).toBe(libUi)
    expectNoPageErrors(problems)
  })

  test('both themes: every tab, and the tabs answer the keyboard', async () => {
    await openMusic('dark')
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
    await expect.poll(() => page.getByTestId('stimulus-row').count(), { timeout: 15_000 }).toBe(stimuli.length)
    await screenshot(page, 'music-stimuli-dark')
    await page.getByTestId('music-tab-stimuli').focus()
    await page.keyboard.press('ArrowRight')
    await page.getByTestId('music-panel-features').waitFor()
    expect(new URL(page.url()).hash).toBe('#/music?tab=features')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('music-tab-features')
    await page.locator('[data-testid="feature-set-row"]').first().click()
    await page.getByTestId('feature-set-detail').waitFor()
    await screenshot(page, 'music-features-dark')
    await page.getByTestId('music-tab-features').focus()
    await page.keyboard.press('End')
    await page.getByTestId('music-panel-libraries').waitFor()
    await page.locator('[data-testid="library-row"]').first().click()
    await page.getByTestId('library-detail').waitFor()
    await screenshot(page, 'music-libraries-dark')
    // A reload keeps the tab (it is in the URL).
    await page.reload()
    await page.getByTestId('music-panel-libraries').waitFor()
    expectNoPageErrors(problems)
  })
})
