/**
 * Contract of the cortex: surface sets (fsaverage5 shipped, or a subject's FreeSurfer folder), their
 * meshes and shape measures, parcellations, and maps projected onto them. Imports only zod.
 * Big arrays travel as ArrayPayload (base64) so IPC and HTTP carry them alike.
 */
import { z } from 'zod'
import { ArrayPayload } from './common'

export const Hemi = z.enum(['lh', 'rh'])
export type Hemi = z.infer<typeof Hemi>
export const SurfaceKind = z.enum(['pial', 'white', 'inflated', 'sphere', 'flat'])
export type SurfaceKind = z.infer<typeof SurfaceKind>
export const ShapeMeasure = z.enum(['curv', 'sulc', 'thickness'])
export type ShapeMeasure = z.infer<typeof ShapeMeasure>
export const ProjectionMethod = z.enum(['nearest', 'trilinear', 'line'])
export type ProjectionMethod = z.infer<typeof ProjectionMethod>

export const SurfaceSetInfo = z.object({
  /** e.g. "fsaverage5", or "subject:sub-01" for a subject's FreeSurfer folder. */
  id: z.string(),
  name: z.string(),
  source: z.enum(['template', 'subject']),
  /** Vertices per hemisphere; every kind of one hemisphere shares them (morph targets). */
  nVertices: z.object({ lh: z.number().int(), rh: z.number().int() }),
  kinds: z.array(SurfaceKind),
  measures: z.array(ShapeMeasure),
  annotations: z.array(z.string()),
  /** Licence text file that must accompany the data, when there is one. */
  licence: z.string().nullable()
})
export type SurfaceSetInfo = z.infer<typeof SurfaceSetInfo>

export const SurfaceMesh = z.object({
  set: z.string(),
  hemi: Hemi,
  kind: SurfaceKind,
  /** float32 (nVertices x 3), millimetres. */
  positions: ArrayPayload,
  /** uint32 (nTriangles x 3), indices into positions. */
  triangles: ArrayPayload,
  /** Vertices no triangle uses (e.g. the cut medial wall of a flat map): uint8 per vertex, 1 = unused. */
  unused: ArrayPayload.nullable(),
  bounds: z.object({
    min: z.tuple([z.number(), z.number(), z.number()]),
    max: z.tuple([z.number(), z.number(), z.number()])
  })
})
export type SurfaceMesh = z.infer<typeof SurfaceMesh>

export const Parcellation = z.object({
  set: z.string(),
  hemi: Hemi,
  name: z.string(),
  /** int32 per vertex: index into `table`, -1 where unlabelled. */
  labels: ArrayPayload,
  table: z.array(z.object({ name: z.string(), rgba: z.tuple([z.number(), z.number(), z.number(), z.number()]) }))
})
export type Parcellation = z.infer<typeof Parcellation>

/** What a map's p-values gave under Benjamini-Hochberg FDR control at level q. */
export const MapSignificance = z.object({
  q: z.number(),
  /** Defined p-values (m). */
  tests: z.number().int(),
  /** How many voxels (volume maps) or vertices (surface maps) have BH q <= q. */
  significant: z.number().int()
})
export type MapSignificance = z.infer<typeof MapSignificance>

export const MapInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['volume', 'surface']),
  sourcePath: z.string().nullable(),
  /** Surface maps: the set their vertices belong to. */
  surfaceSet: z.string().nullable(),
  modelId: z.number().int().nullable(),
  units: z.string(),
  createdAt: z.string(),
  /** Null when the map carries no p-values. */
  significance: MapSignificance.nullable()
})
export type MapInfo = z.infer<typeof MapInfo>

export const ProjectedMap = z.object({
  mapId: z.number().int(),
  set: z.string(),
  method: ProjectionMethod,
  /** float32 per vertex; NaN outside the volume or its mask. */
  lh: ArrayPayload,
  rh: ArrayPayload,
  stats: z.object({
    min: z.number(),
    max: z.number(),
    absMax: z.number(),
    finite: z.number().int(),
    nan: z.number().int()
  }),
  /**
   * Maps with p-values: uint8 per vertex, 1 where the vertex is FDR-significant (the weighted majority
   * of the voxels it samples are; per-vertex maps: the vertex itself). Null when the map has none.
   */
  significant: z.object({ lh: ArrayPayload, rh: ArrayPayload, q: z.number(), count: z.number().int() }).nullable()
})
export type ProjectedMap = z.infer<typeof ProjectedMap>

const SetRef = z.string().min(1).max(200)

export const cortexMethods = {
  'surface.sets': { params: z.object({}).strict().default({}), result: z.array(SurfaceSetInfo) },
  'surface.mesh': {
    params: z.object({ set: SetRef, hemi: Hemi, kind: SurfaceKind }).strict(),
    result: SurfaceMesh
  },
  'surface.shape': {
    params: z.object({ set: SetRef, hemi: Hemi, measure: ShapeMeasure }).strict(),
    result: z.object({ set: z.string(), hemi: Hemi, measure: ShapeMeasure, values: ArrayPayload })
  },
  'surface.parcellation': {
    params: z.object({ set: SetRef, hemi: Hemi, name: z.string().default('aparc') }).strict(),
    result: Parcellation
  },
  'maps.list': { params: z.object({}).strict().default({}), result: z.array(MapInfo) },
  /** Registers a map from a file: a NIfTI volume, or per-vertex values (.npy, GIfTI func/shape, FreeSurfer curv). */
  'maps.add': {
    params: z
      .object({
        path: z.string().min(1).max(4096),
        name: z.string().max(200).optional(),
        /** For per-vertex files: the surface set and hemisphere they belong to (both hemispheres: .npy of lh then rh). */
        surfaceSet: SetRef.optional(),
        /**
         * Optional p-values, one per voxel or vertex of the map (NIfTI on the same grid, .npy, or a per-vertex
         * file like the map's); the map then carries a Benjamini-Hochberg significance mask at level `q`.
         */
        pvalues: z.string().min(1).max(4096).optional(),
        q: z.number().gt(0).lt(1).default(0.05)
      })
      .strict(),
    result: MapInfo
  },
  'maps.project': {
    params: z
      .object({
        mapId: z.number().int().positive(),
        set: SetRef,
        method: ProjectionMethod.default('trilinear'),
        /** Surface sampled for nearest/trilinear; line samples between white and pial. */
        surface: SurfaceKind.default('white')
      })
      .strict(),
    result: ProjectedMap
  }
} as const
