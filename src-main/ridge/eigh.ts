/**
 * Symmetric eigendecomposition in float64 (what `numpy.linalg.eigh` gives): eigenvalues ascending and
 * orthonormal eigenvectors as the COLUMNS of a row-major n x n matrix (`vectors[i * n + j]` is
 * component i of eigenvector j).
 *
 * Small matrices (n < 64, or no session manager) use the classic Householder + implicit QL pair
 * (EISPACK tred2/tql2, as in JAMA), all in JS. Larger ones follow LAPACK's structure:
 *   1. blocked Householder tridiagonalisation (dsytrd/dlatrd): each panel of `blockSize` columns is
 *      factored in JS (its matrix-vector products with the trailing matrix run on ONNX Runtime once the
 *      trailing matrix is large), and the trailing symmetric rank-2k update is one float64 Gemm;
 *   2. eigenvalues of each unreduced tridiagonal block by implicit QL (O(n^2));
 *   3. eigenvectors of the tridiagonal by inverse iteration (dstein: pivoted LU of T - λI, random start,
 *      modified Gram-Schmidt inside clusters of close eigenvalues) — O(n^2) in all for spread spectra;
 *   4. back-transformation with the Householder vectors in compact-WY form, each block as Gemms.
 */
import { B2mError } from '../common/errors'
import { SessionManager } from '../onnx/sessions'
import { gemmUpdate, panelMatvec, product, seededRandom } from './blas'

export interface EighResult {
  /** Eigenvalues, ascending. */
  values: Float64Array
  /** n x n row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array
}

export interface EighOptions {
  /** Runs the O(n^3) parts as ONNX Runtime Gemms; without it every size takes the JS path. */
  sessions?: SessionManager
  /** Panel width of the blocked reduction (default 64). */
  blockSize?: number
  /** Below this n the JS tred2/tql2 path is used (default 64). */
  smallN?: number
  /** Trailing-matrix size from which panel matrix-vector products go to ONNX Runtime (default 400). */
  ortMatvecFrom?: number
  /**
   * Session manager for the panel matrix-vector products (memory-bound, one per column). Default: a
   * shared single-threaded CPU manager — a second thread buys little bandwidth and, on a busy machine,
   * makes each of the thousands of small calls wait for a descheduled straggler.
   */
  matvecSessions?: SessionManager
  /** Receives seconds spent per phase (tridiagonal, tridiagonalSolve, backTransform). */
  onPhases?: (phases: Record<string, number>) => void
}

const EPS = 2 ** -52

let matvecManager: SessionManager | undefined
/** The shared single-threaded CPU session manager for panel matrix-vector products. */
function defaultMatvecSessions(): SessionManager {
  matvecManager ??= new SessionManager({ preferred: ['cpu'], intraOpNumThreads: 1 })
  return matvecManager
}

function checkInput(a: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new B2mError('bad_request', `eigh: n must be a non-negative integer, got ${n}`)
  if (a.length !== n * n)
    throw new B2mError('bad_request', `eigh: matrix has ${a.length} elements, n = ${n} needs ${n * n}`)
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new B2mError('bad_request', 'eigh: matrix has non-finite entries')
  }
}

/** Eigen-decomposition of a symmetric matrix (only symmetric input is meaningful; the lower triangle is trusted less than symmetry). */
export async function eigh(a: Float64Array, n: number, options: EighOptions = {}): Promise<EighResult> {
  checkInput(a, n)
  const smallN = options.smallN ?? 64
  if (n < smallN || !options.sessions) return eighSmall(a, n)
  return eighBlocked(a, n, options.sessions, options)
}

// ---------------------------------------------------------------------------------------------
// Small n: EISPACK tred2 + tql2 (the JAMA formulation), all in JS.

/** Dense symmetric eigendecomposition in plain JS (O(n^3)); fine for n up to a few hundred. */
export function eighSmall(a: Float64Array, n: number): EighResult {
  checkInput(a, n)
  const V = Float64Array.from(a)
  // symmetrise from the lower triangle, as LAPACK's 'L' would read it
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) V[j * n + i] = V[i * n + j]
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  if (n === 0) return { values: d, vectors: V }
  tred2(V, n, d, e)
  tql2(V, n, d, e)
  return { values: d, vectors: V }
}

function tred2(V: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]
  for (let i = n - 1; i > 0; i--) {
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k])
    if (scale === 0) {
      e[i] = d[i - 1]
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]
        V[i * n + j] = 0
        V[j * n + i] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale
        h += d[k] * d[k]
      }
      let f = d[i - 1]
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      for (let j = 0; j < i; j++) {
        f = d[j]
        V[j * n + i] = f
        g = e[j] + V[j * n + j] * f
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k]
          e[k] += V[k * n + j] * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] /= h
        f += e[j] * d[j]
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] -= hh * d[j]
      for (let j = 0; j < i; j++) {
        f = d[j]
        g = e[j]
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k]
        d[j] = V[(i - 1) * n + j]
        V[i * n + j] = 0
      }
    }
    d[i] = h
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]
    V[i * n + i] = 1
    const h = d[i + 1]
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h
      for (let j = 0; j <= i; j++) {
        let g = 0
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j]
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k]
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]
    V[(n - 1) * n + j] = 0
  }
  V[(n - 1) * n + n - 1] = 1
  e[0] = 0
}

function tql2(V: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]
  e[n - 1] = 0
  let f = 0
  let tst1 = 0
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
    let m = l
    while (m < n - 1) {
      if (Math.abs(e[m]) <= EPS * tst1) break
      m++
    }
    if (m > l) {
      let iter = 0
      do {
        if (++iter > 300) throw new B2mError('internal', 'eigh: QL iteration did not converge')
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.sqrt(p * p + 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        f += h
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.sqrt(p * p + e[i] * e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
          for (let k = 0; k < n; k++) {
            const o = k * n
            h = V[o + i + 1]
            V[o + i + 1] = s * V[o + i] + c * h
            V[o + i] = c * V[o + i] - s * h
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > EPS * tst1)
    }
    d[l] += f
    e[l] = 0
  }
  for (let i = 0; i < n - 1; i++) {
    let k = i
    let p = d[i]
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j
        p = d[j]
      }
    }
    if (k !== i) {
      d[k] = d[i]
      d[i] = p
      for (let j = 0; j < n; j++) {
        const t = V[j * n + i]
        V[j * n + i] = V[j * n + k]
        V[j * n + k] = t
      }
    }
  }
}

/**
 * Eigenvalues of a symmetric tridiagonal matrix by implicit QL (tql2 without vectors). `d` (length k)
 * is overwritten with the eigenvalues, ascending; `off[i]` couples i and i+1 (length k - 1).
 */
export function tridiagonalEigenvalues(d: Float64Array, off: Float64Array): void {
  const n = d.length
  const e = new Float64Array(n)
  e.set(off.subarray(0, Math.max(0, n - 1)))
  let f = 0
  let tst1 = 0
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
    let m = l
    while (m < n - 1) {
      if (Math.abs(e[m]) <= EPS * tst1) break
      m++
    }
    if (m > l) {
      let iter = 0
      do {
        if (++iter > 300) throw new B2mError('internal', 'eigh: QL iteration did not converge')
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.sqrt(p * p + 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        f += h
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.sqrt(p * p + e[i] * e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > EPS * tst1)
    }
    d[l] += f
    e[l] = 0
  }
  d.sort()
}

// ---------------------------------------------------------------------------------------------
// Large n

interface Panel {
  /** Global index of the panel's first column (its reflectors act on rows offset+1 .. n-1). */
  offset: number
  /** Rows covered (n - offset). */
  m: number
  /** Number of reflectors. */
  cols: number
  /** Householder vectors as rows: vt[k * m + r], zero for r <= k, 1 at r = k + 1. */
  vt: Float64Array
  tau: Float64Array
}

/** y[r] = Σ_{c >= from} T[r][c] v[c] for r >= from (JS, four accumulators). */
function matvecJs(T: Float64Array, m: number, from: number, v: Float64Array, y: Float64Array): void {
  for (let r = from; r < m; r++) {
    const o = r * m
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    let c = from
    for (; c + 3 < m; c += 4) {
      s0 += T[o + c] * v[c]
      s1 += T[o + c + 1] * v[c + 1]
      s2 += T[o + c + 2] * v[c + 2]
      s3 += T[o + c + 3] * v[c + 3]
    }
    for (; c < m; c++) s0 += T[o + c] * v[c]
    y[r] = s0 + s1 + s2 + s3
  }
}

async function tridiagonalize(
  a: Float64Array,
  n: number,
  mgr: SessionManager,
  mvMgr: SessionManager,
  nb: number,
  ortFrom: number
): Promise<{ d: Float64Array; e: Float64Array; panels: Panel[] }> {
  const d = new Float64Array(n)
  const e = new Float64Array(n) // e[g] couples g and g + 1
  const panels: Panel[] = []
  let T = Float64Array.from(a)
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) T[j * n + i] = T[i * n + j]
  let m = n
  let offset = 0
  for (;;) {
    const last = m <= 2 * nb
    const cols = last ? m : nb
    const vt = new Float64Array(cols * m)
    const wt = new Float64Array(cols * m)
    const tau = new Float64Array(cols)
    const y = new Float64Array(m)
    const aa = new Float64Array(cols)
    const bb = new Float64Array(cols)
    for (let i = 0; i < cols; i++) {
      const Ti = i * m
      // bring row (= column) i up to date with the panel's earlier reflectors
      for (let k = 0; k < i; k++) {
        const wik = wt[k * m + i]
        const vik = vt[k * m + i]
        if (wik === 0 && vik === 0) continue
        const vo = k * m
        for (let r = i; r < m; r++) T[Ti + r] -= vt[vo + r] * wik + wt[vo + r] * vik
      }
      d[offset + i] = T[Ti + i]
      if (i === m - 1) break
      // Householder reflector for x = T[i][i+1 .. m-1]
      const alpha = T[Ti + i + 1]
      let xnorm2 = 0
      for (let r = i + 2; r < m; r++) xnorm2 += T[Ti + r] * T[Ti + r]
      const vo = i * m
      vt[vo + i + 1] = 1
      if (xnorm2 === 0) {
        tau[i] = 0
        e[offset + i] = alpha
        continue
      }
      const beta = -(alpha >= 0 ? 1 : -1) * Math.sqrt(alpha * alpha + xnorm2)
      tau[i] = (beta - alpha) / beta
      const scal = 1 / (alpha - beta)
      for (let r = i + 2; r < m; r++) vt[vo + r] = T[Ti + r] * scal
      e[offset + i] = beta
      const v = vt.subarray(vo, vo + m)
      // y = T22 v - V (Wᵀ v) - W (Vᵀ v) over the panel's earlier reflectors, T22 = T[i+1:, i+1:]
      // (unchanged since the panel began; v is zero above i + 1 so the whole of T can be used)
      if (m - i - 1 >= ortFrom) {
        y.set(await panelMatvec(mvMgr, T, m, Float64Array.from(v), vt, wt, Math.max(1, i)))
      } else {
        matvecJs(T, m, i + 1, v, y)
        for (let k = 0; k < i; k++) {
          const ko = k * m
          let sa = 0
          let sb = 0
          for (let r = i + 1; r < m; r++) {
            sa += wt[ko + r] * v[r]
            sb += vt[ko + r] * v[r]
          }
          aa[k] = sa
          bb[k] = sb
        }
        for (let k = 0; k < i; k++) {
          const ko = k * m
          const ak = aa[k]
          const bk = bb[k]
          for (let r = i + 1; r < m; r++) y[r] -= vt[ko + r] * ak + wt[ko + r] * bk
        }
      }
      const t = tau[i]
      let yv = 0
      for (let r = i + 1; r < m; r++) {
        y[r] *= t
        yv += y[r] * v[r]
      }
      const a2 = -0.5 * t * yv
      for (let r = i + 1; r < m; r++) wt[vo + r] = y[r] + a2 * v[r]
    }
    panels.push({ offset, m, cols: last ? m - 1 : cols, vt, tau })
    if (last) break
    // trailing update: T' = T[nb:, nb:] - (V Wᵀ + W Vᵀ)[nb:, nb:] as one Gemm
    const m2 = m - nb
    const ut = new Float64Array(2 * nb * m2)
    const rt = new Float64Array(2 * nb * m2)
    for (let k = 0; k < nb; k++) {
      ut.set(vt.subarray(k * m + nb, (k + 1) * m), k * m2)
      ut.set(wt.subarray(k * m + nb, (k + 1) * m), (nb + k) * m2)
      rt.set(wt.subarray(k * m + nb, (k + 1) * m), k * m2)
      rt.set(vt.subarray(k * m + nb, (k + 1) * m), (nb + k) * m2)
    }
    const sub = new Float64Array(m2 * m2)
    for (let r = 0; r < m2; r++) sub.set(T.subarray((r + nb) * m + nb, (r + nb + 1) * m), r * m2)
    T = await gemmUpdate(mgr, ut, [2 * nb, m2], rt, [2 * nb, m2], sub, { transA: true })
    offset += nb
    m = m2
  }
  return { d, e, panels }
}

/**
 * Eigenvectors of one unreduced symmetric tridiagonal block by inverse iteration, for its eigenvalues
 * `w` (ascending). Returns k x k column vectors in row-major (z[i * k + j]).
 */
export function tridiagonalEigenvectors(d: Float64Array, off: Float64Array, w: Float64Array, seed = 1): Float64Array {
  const k = d.length
  const z = new Float64Array(k * k)
  const zr = new Float64Array(k * k) // vectors as rows while they are built
  if (k === 1) {
    z[0] = 1
    return z
  }
  let scale = 0
  for (let i = 0; i < k; i++)
    scale = Math.max(scale, Math.abs(d[i]) + (i > 0 ? Math.abs(off[i - 1]) : 0) + (i < k - 1 ? Math.abs(off[i]) : 0))
  if (scale === 0) scale = 1
  const pertol = 10 * EPS * scale
  const clusterTol = 1e-7 * scale
  const tiny = EPS * scale
  const dd = new Float64Array(k)
  const du = new Float64Array(k)
  const du2 = new Float64Array(k)
  const dl = new Float64Array(k)
  const piv = new Uint8Array(k)
  const x = new Float64Array(k)
  const rand = seededRandom(seed)
  let clusterStart = 0
  let prevLam = -Infinity
  for (let j = 0; j < k; j++) {
    let lam = w[j]
    if (j === 0 || w[j] - w[j - 1] > clusterTol) clusterStart = j
    if (j > 0 && lam - prevLam < pertol) lam = prevLam + pertol
    prevLam = lam
    // pivoted LU of T - lam I (LAPACK dgttrf)
    for (let i = 0; i < k; i++) dd[i] = d[i] - lam
    for (let i = 0; i < k - 1; i++) {
      dl[i] = off[i]
      du[i] = off[i]
    }
    for (let i = 0; i < k - 1; i++) {
      if (Math.abs(dd[i]) >= Math.abs(dl[i])) {
        piv[i] = 0
        if (dd[i] === 0) dd[i] = tiny
        const fact = dl[i] / dd[i]
        dl[i] = fact
        dd[i + 1] -= fact * du[i]
        du2[i] = 0
      } else {
        piv[i] = 1
        const fact = dd[i] / dl[i]
        dd[i] = dl[i]
        dl[i] = fact
        const temp = du[i]
        du[i] = dd[i + 1]
        dd[i + 1] = temp - fact * dd[i + 1]
        if (i < k - 2) {
          du2[i] = du[i + 1]
          du[i + 1] = -fact * du[i + 1]
        } else {
          du2[i] = 0
        }
      }
    }
    for (let i = 0; i < k; i++) if (Math.abs(dd[i]) < tiny) dd[i] = dd[i] < 0 ? -tiny : tiny
    for (let i = 0; i < k; i++) x[i] = rand()
    for (let it = 0; it < 3; it++) {
      // solve (T - lam I) x_new = x
      for (let i = 0; i < k - 1; i++) {
        if (piv[i] === 0) {
          x[i + 1] -= dl[i] * x[i]
        } else {
          const t = x[i]
          x[i] = x[i + 1]
          x[i + 1] = t - dl[i] * x[i]
        }
      }
      x[k - 1] /= dd[k - 1]
      x[k - 2] = (x[k - 2] - du[k - 2] * x[k - 1]) / dd[k - 2]
      for (let i = k - 3; i >= 0; i--) x[i] = (x[i] - du[i] * x[i + 1] - du2[i] * x[i + 2]) / dd[i]
      normalise(x)
      // orthogonalise against the cluster's earlier vectors (twice is enough)
      for (let pass = 0; pass < 2 && clusterStart < j; pass++) {
        for (let q = clusterStart; q < j; q++) {
          const qo = q * k
          let s = 0
          for (let i = 0; i < k; i++) s += zr[qo + i] * x[i]
          for (let i = 0; i < k; i++) x[i] -= s * zr[qo + i]
        }
        normalise(x)
      }
    }
    // a fixed sign: largest component positive (deterministic output)
    let big = 0
    for (let i = 1; i < k; i++) if (Math.abs(x[i]) > Math.abs(x[big])) big = i
    const sgn = x[big] < 0 ? -1 : 1
    for (let i = 0; i < k; i++) zr[j * k + i] = sgn * x[i]
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) z[i * k + j] = zr[j * k + i]
  return z
}

function normalise(x: Float64Array): void {
  let mx = 0
  for (let i = 0; i < x.length; i++) mx = Math.max(mx, Math.abs(x[i]))
  if (mx === 0) {
    x[0] = 1
    return
  }
  let s = 0
  for (let i = 0; i < x.length; i++) {
    x[i] /= mx
    s += x[i] * x[i]
  }
  const inv = 1 / Math.sqrt(s)
  for (let i = 0; i < x.length; i++) x[i] *= inv
}

async function eighBlocked(a: Float64Array, n: number, mgr: SessionManager, options: EighOptions): Promise<EighResult> {
  const nb = Math.max(8, Math.floor(options.blockSize ?? 64))
  const ortFrom = options.ortMatvecFrom ?? 400
  const t0 = performance.now()
  const { d, e, panels } = await tridiagonalize(
    a,
    n,
    mgr,
    options.matvecSessions ?? defaultMatvecSessions(),
    nb,
    ortFrom
  )
  const t1 = performance.now()

  // split the tridiagonal into unreduced blocks, solve each
  const pairs: { value: number; block: number; index: number }[] = []
  const blocks: { start: number; size: number; z: Float64Array }[] = []
  let start = 0
  for (let i = 0; i < n; i++) {
    const split = i === n - 1 || Math.abs(e[i]) <= EPS * (Math.abs(d[i]) + Math.abs(d[i + 1]))
    if (!split) continue
    const size = i - start + 1
    const bd = d.slice(start, i + 1)
    const be = e.slice(start, i)
    const w = bd.slice()
    tridiagonalEigenvalues(w, be)
    const z = tridiagonalEigenvectors(bd, be, w, blocks.length + 1)
    for (let j = 0; j < size; j++) pairs.push({ value: w[j], block: blocks.length, index: j })
    blocks.push({ start, size, z })
    start = i + 1
  }
  pairs.sort((p, q) => p.value - q.value || p.block - q.block || p.index - q.index)
  const values = new Float64Array(n)
  let Z: Float64Array = new Float64Array(n * n)
  pairs.forEach((p, col) => {
    values[col] = p.value
    const b = blocks[p.block]
    for (let i = 0; i < b.size; i++) Z[(b.start + i) * n + col] = b.z[i * b.size + p.index]
  })

  const t2 = performance.now()
  // back-transformation: Z <- H_0 H_1 ... H_{n-2} Z, one compact-WY block per panel, last panel first
  for (let pi = panels.length - 1; pi >= 0; pi--) {
    const { offset, m, cols, vt, tau } = panels[pi]
    if (cols <= 0) continue
    const V = cols * m === vt.length ? vt : vt.subarray(0, cols * m)
    // T factor (dlarft, forward, columnwise): T[i][i] = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] (Vᵀ v_i)
    const G = await product(mgr, V, [cols, m], V, [cols, m], { transB: true })
    const Tm = new Float64Array(cols * cols)
    for (let i = 0; i < cols; i++) {
      const ti = tau[i]
      Tm[i * cols + i] = ti
      for (let j = 0; j < i; j++) {
        let s = 0
        for (let l = j; l < i; l++) s += Tm[j * cols + l] * G[l * cols + i]
        Tm[j * cols + i] = -ti * s
      }
    }
    const zsub = Z.subarray(offset * n, n * n)
    const M1 = await product(mgr, V, [cols, m], zsub, [m, n])
    const M2 = await product(mgr, Tm, [cols, cols], M1, [cols, n])
    const updated = await gemmUpdate(mgr, V, [cols, m], M2, [cols, n], zsub, { transA: true })
    if (offset === 0) Z = updated
    else Z.set(updated, offset * n)
  }
  options.onPhases?.({
    tridiagonal: (t1 - t0) / 1000,
    tridiagonalSolve: (t2 - t1) / 1000,
    backTransform: (performance.now() - t2) / 1000
  })
  return { values, vectors: Z }
}
