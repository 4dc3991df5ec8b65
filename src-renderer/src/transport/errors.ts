import { ApiErrorBody, type ApiErrorCode } from '@contract'

/**
 * A failure reported across the API boundary. The message is the core's own words and is shown to
 * users verbatim; `file` names the file the problem is about, when there is one.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly file?: string

  constructor(code: ApiErrorCode, message: string, file?: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.file = file
  }

  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.file)
  }

  /** Anything thrown, as an ApiError (unknown failures keep their message, code 'internal'). */
  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err
    const parsed = ApiErrorBody.safeParse(err)
    if (parsed.success) return ApiError.fromBody(parsed.data)
    return new ApiError('internal', err instanceof Error ? err.message : String(err))
  }
}
