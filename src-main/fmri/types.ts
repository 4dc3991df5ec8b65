/**
 * Shapes shared by the fMRI room. Pure data; no file parsing happens here.
 *
 * Layouts (all row-major, shape beside the data):
 * * A run (`RunData`) is TIME-MAJOR: `data[t * nVoxels + v]` is volume t at masked voxel v, so row t is one
 *   whole volume restricted to the mask. A reader that streams volume by volume fills one row per volume.
 * * A volume (3D) is NIfTI order, x fastest: `flat = x + X * (y + Y * z)`. Mask voxel indices are such
 *   flat indices, ascending, so masked voxel v is `volume[mask.indices[v]]`.
 * * A response matrix is SAMPLE-MAJOR: `data[s * nColumns + c]`, where the columns are delay-major blocks of
 *   voxels: `c = d * nVoxels + v` for the d-th entry of `delays`. With a single delay (the usual
 *   hemodynamic shift) `nColumns === nVoxels` and row s is one voxel vector.
 */

/** One run after masking: T volumes x V voxels, time-major (row t = volume t over the mask). */
export interface RunData {
  data: Float32Array
  nVolumes: number
  nVoxels: number
}

/** Grid size of a 3D volume, in voxels (x, y, z). */
export type Dims3 = readonly [number, number, number]

/** A brain mask: which voxels of a (X, Y, Z) grid are kept, as ascending flat x-fastest indices. */
export interface Mask {
  dims: [number, number, number]
  indices: Int32Array
  nVoxels: number
}

/**
 * One stimulus presentation, as ds003720's events.tsv writes it (one row per 15 s clip).
 * `genre` may carry the file's single quotes ('pop', or the malformed `metal'`); the room strips them.
 */
export interface ClipEvent {
  onset: number
  duration: number
  genre: string
  /** GTZAN index within the genre (stimulus file `genre.000TT.wav`). */
  track: number
  /** Excerpt start/end in the original track, seconds. */
  start: number
  end: number
}

/** Where a response row came from. */
export interface ResponseSample {
  /** The run's id as the caller named it (e.g. 'task-Training_run-01'). */
  run: string
  /** 0-based row of the run's events file (the dropped repeat is row 0, so kept clips are rows 1..40). */
  clipIndex: number
  genre: string
  track: number
  start: number
  end: number
  /** Clip onset in the run, seconds. */
  onset: number
  /** The stimulus interval this row stands for, seconds relative to the clip onset: [windowStart, windowEnd). */
  windowStart: number
  windowEnd: number
  /**
   * Fraction of the (shifted) interval that lay inside the run; < 1 only at the run's end, where the shifted
   * window of the last clip runs past the last volume. The minimum over delays for FIR.
   */
  coverage: number
  /** How many presentations were averaged into this row (1 unless repeats were averaged). */
  nRepeats: number
}

/** Responses aligned to stimuli: nSamples x (delays.length * nVoxels), sample-major, delay-major columns. */
export interface ResponseMatrix {
  data: Float32Array
  nSamples: number
  nVoxels: number
  /** Hemodynamic delays in TRs, one block of nVoxels columns each; `[3]` for the default shift. */
  delays: number[]
  /** delays.length * nVoxels. */
  nColumns: number
  samples: ResponseSample[]
}

/** `fraction` in [0, 1]; `message` says what is happening now. */
export type ProgressFn = (fraction: number, message: string) => void
/** Polled between blocks of work; true stops the work with a B2mError('failed', '... cancelled'). */
export type CancelFn = () => boolean

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
