/**
 * A small data set in ds003720's layout for import tests: the real sidecars and events.tsv files of
 * sub-001 (CRLF, quoted genres, the malformed quotes of Training run 4) beside synthetic BOLD images on
 * a tiny grid, so every import path runs on real metadata in seconds.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeNifti } from '../../src-main/formats/nifti'
import { fixture } from '../fixtures'

export const GRID: [number, number, number] = [16, 18, 12]
export const VOLUMES = 410
export const AFFINE = [
  [-2, 0, 0, 8],
  [0, 2, 0, -9],
  [0, 0, 2, -6],
  [0, 0, 0, 1]
]

/** Inside the synthetic brain: an ellipsoid in the middle of the grid. */
export function inBrain(x: number, y: number, z: number): boolean {
  const [X, Y, Z] = GRID
  const dx = (x - (X - 1) / 2) / (X / 2.6)
  const dy = (y - (Y - 1) / 2) / (Y / 2.6)
  const dz = (z - (Z - 1) / 2) / (Z / 2.6)
  return dx * dx + dy * dy + dz * dz <= 1
}

/** The synthetic signal: bright inside the brain with a slow drift and a voxel-specific wiggle. */
export function voxelValue(x: number, y: number, z: number, t: number, run: number): number {
  if (!inBrain(x, y, z)) return 20 + ((x * 7 + y * 13 + z * 17 + t) % 5)
  const v = x + GRID[0] * (y + GRID[1] * z)
  return 1000 + 0.05 * t + 10 * Math.sin(0.3 * t + v + run)
}

export interface MiniRun {
  task: 'Training' | 'Test'
  run: number
}

export const DEFAULT_RUNS: MiniRun[] = [
  { task: 'Training', run: 1 },
  { task: 'Training', run: 2 },
  { task: 'Test', run: 1 }
]

export async function writeMiniDs003720(
  root: string,
  runs: MiniRun[] = DEFAULT_RUNS,
  opts: { gzip?: boolean; subject?: string } = {}
): Promise<string[]> {
  const sub = opts.subject ?? 'sub-001'
  const func = join(root, sub, 'func')
  mkdirSync(func, { recursive: true })
  copyFileSync(fixture('bids', 'ds003720', 'dataset_description.json'), join(root, 'dataset_description.json'))
  const [X, Y, Z] = GRID
  const written: string[] = []
  for (const r of runs) {
    const stem = `task-${r.task}_run-${String(r.run).padStart(2, '0')}`
    const src = (suffix: string) => fixture('bids', 'ds003720', 'sub-001', 'func', `sub-001_${stem}_${suffix}`)
    writeFileSync(join(func, `${sub}_${stem}_bold.json`), readFileSync(src('bold.json')))
    writeFileSync(join(func, `${sub}_${stem}_events.tsv`), readFileSync(src('events.tsv')))
    const data = new Int16Array(X * Y * Z * VOLUMES)
    for (let t = 0; t < VOLUMES; t++)
      for (let z = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++) data[x + X * (y + Y * (z + Z * t))] = Math.round(voxelValue(x, y, z, t, r.run))
    const bold = join(func, `${sub}_${stem}_bold.nii${opts.gzip === false ? '' : '.gz'}`)
    await writeNifti(bold, { dims: [X, Y, Z, VOLUMES], data, affine: AFFINE, tr: 1.5 })
    written.push(bold)
  }
  return written
}
