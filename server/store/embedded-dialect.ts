import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, DialectAdapter, Driver, SqliteDialectConfig } from 'kysely';

/*
 * kysely's SqliteDialect, with two changes for a file that several processes (cluster workers, the CLI) write.
 */

/**
 * `begin immediate` takes the write lock up front, where busy_timeout applies. A deferred transaction that
 * reads and then writes gets SQLITE_BUSY at once, without waiting, when another process wrote in between
 * (https://www.sqlite.org/lang_transaction.html, "SQLITE_BUSY ... upgrade").
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite does roll back DDL. Saying so makes kysely's Migrator apply pending migrations in one transaction:
 * a crash leaves no half-applied schema, and a second process starting at the same time waits for the
 * first and then sees its migrations as done (the SQLite adapter takes no migration lock otherwise).
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class EmbeddedDialect extends SqliteDialect {
  private readonly driverConfig: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.driverConfig = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.driverConfig);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
