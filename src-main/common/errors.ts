import type { ApiErrorBody, ApiErrorCode } from '../../src-preload/api'

/**
 * A failure a user can act on: a specific message, the file it concerns, and a code that each face
 * maps onto its own conventions (HTTP status, CLI exit code, IPC error body).
 */
export class B2mError extends Error {
  readonly code: ApiErrorCode
  readonly file?: string

  constructor(code: ApiErrorCode, message: string, file?: string) {
    super(file ? `${file}: ${message}` : message)
    this.name = 'B2mError'
    this.code = code
    this.file = file
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.file ? { file: this.file } : {}) }
  }
}

/** Turns anything thrown into the body sent across a face; unknown errors keep their message. */
export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof B2mError) return err.toBody()
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}
