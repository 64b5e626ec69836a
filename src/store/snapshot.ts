/** A consistent copy of the SQLite store while it is in use: SQLite's online backup API (better-sqlite3's `backup`). */
export async function snapshotSqlite(file: string, dest: string): Promise<void> {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    await db.backup(dest);
  } finally {
    db.close();
  }
}
