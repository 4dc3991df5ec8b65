/**
 * Records several areas share. Imports only zod.
 */
import { z } from 'zod'

/**
 * A typed array carried across any face as base64 (JSON-safe over IPC and HTTP alike), with its shape.
 * Row-major; little-endian bytes.
 */
export const ArrayPayload = z.object({
  dtype: z.enum(['float32', 'float64', 'int32', 'uint32', 'uint8', 'int16']),
  shape: z.array(z.number().int().min(0)),
  base64: z.string()
})
export type ArrayPayload = z.infer<typeof ArrayPayload>
