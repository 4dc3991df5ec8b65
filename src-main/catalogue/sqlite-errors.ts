/** Recognising SQLite constraint failures thrown by better-sqlite3 (SqliteError has a `code`). */
function sqliteCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined
}

export function isUniqueViolation(err: unknown): boolean {
  const c = sqliteCode(err)
  return c === 'SQLITE_CONSTRAINT_UNIQUE' || c === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

export function isForeignKeyViolation(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY'
}

export function isCheckViolation(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_CONSTRAINT_CHECK'
}
