/** The tables, as Kysely sees them. Times are milliseconds since the epoch. */
export interface MigrationsTable {
  id: string;
  applied_at: number;
}

export interface AccountsTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  full_name: string;
  security_stamp: string;
  created_at: number;
  updated_at: number;
}

export interface Database {
  hearth_migrations: MigrationsTable;
  accounts: AccountsTable;
}
