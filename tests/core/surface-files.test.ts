/** A pair of surface files (one per hemisphere, any format) as a one-surface set: what `b2m surface render --surface <file>` draws. */
import { describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import { readGiftiSurface } from '../../src-main/formats/gifti'
import { SurfaceLibrary } from '../../src-main/surface'
import { fixture } from '../fixtures'

const L = fixture('gifti', 'Conte69.L.inflated.32k_fs_LR.surf.gii')
const R = fixture('gifti', 'Conte69.R.inflated.32k_fs_LR.surf.gii')

describe('surface file pairs', () => {
  it('register as files:<label> with the files as they are, in the white slot', () => {
    const lib = new SurfaceLibrary()
    const info = lib.registerFiles({ lh: L, rh: R })
    expect(info).toMatchObject({
      id: 'files:Conte69.L.inflated.32k_fs_LR.surf',
      source: 'subject',
      nVertices: { lh: 32492, rh: 32492 },
      kinds: ['white'],
      measures: [],
      annotations: []
    })
    expect(lib.sets().map((s) => s.id)).toContain(info.id)
    const rh = lib.mesh(info.id, 'rh', 'white')
    expect(Array.from(rh.positions.subarray(0, 30))).toEqual(Array.from(readGiftiSurface(R).positions.subarray(0, 30)))
    expect(rh.nTriangles).toBe(readGiftiSurface(R).nTriangles)
    expect(() => lib.mesh(info.id, 'lh', 'pial')).toThrow(/has no pial surface \(it has white\)/)
    expect(() => lib.shape(info.id, 'lh', 'curv')).toThrow(/has no curv/)
  })

  it('a missing file is a not-found error naming it', () => {
    const lib = new SurfaceLibrary()
    const missing = L.replace('Conte69.L', 'Nope.L')
    try {
      lib.registerFiles({ lh: missing, rh: R })
      throw new Error('did not fail')
    } catch (err) {
      expect(err).toBeInstanceOf(B2mError)
      expect((err as B2mError).code).toBe('not_found')
      expect((err as B2mError).message).toBe(`${missing}: lh surface file not found`)
    }
  })
})
