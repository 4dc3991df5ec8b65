/** The demo's render pool gives exactly what rendering in one thread gives, in task order. */
import { describe, expect, it } from 'vitest'
import { renderInPool } from '../../src-main/demo/render-pool'
import type { StimulusRender, StimulusTask } from '../../src-main/demo/stimuli'

const tasks: StimulusTask[] = ['blues', 'metal', 'jazz', 'reggae', 'pop', 'rock', 'disco', 'country', 'hiphop'].map(
  (genre, i) => ({
    genre,
    seed: 1000 + i,
    track: i,
    trackSeconds: 16,
    start: 0.5,
    end: 15.5,
    tr: 1.5,
    trsPerClip: 10,
    path: `${genre}.${i}.wav`
  })
)

async function collect(size: number): Promise<{ order: number[]; results: StimulusRender[] }> {
  const order: number[] = []
  const results: StimulusRender[] = []
  await renderInPool(
    tasks,
    (i, r) => {
      order.push(i)
      results[i] = r
    },
    undefined,
    size,
    1
  )
  return { order, results }
}

describe('the demo render pool', () => {
  it('renders in worker threads byte-identically to one thread, in task order', async () => {
    const one = await collect(1)
    const two = await collect(2)
    expect(two.order).toEqual(tasks.map((_, i) => i))
    for (let i = 0; i < tasks.length; i++) {
      expect(Buffer.from(two.results[i].wav).equals(Buffer.from(one.results[i].wav)), tasks[i].genre).toBe(true)
      expect(Array.from(two.results[i].embedding)).toEqual(Array.from(one.results[i].embedding))
      expect(Array.from(two.results[i].loudness)).toEqual(Array.from(one.results[i].loudness))
    }
  }, 120_000)

  it('stops when cancelled, naming the cancel', async () => {
    let n = 0
    await expect(
      renderInPool(
        tasks,
        () => n++,
        () => n >= 2,
        2,
        1
      )
    ).rejects.toThrow(/cancelled/)
    expect(n).toBeLessThan(tasks.length)
  }, 120_000)
})
