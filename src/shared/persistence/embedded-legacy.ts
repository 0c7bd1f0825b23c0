import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { EmbeddedPostgres } from './embedded-postgres';

/**
 * Until 0.2.0 each module kept its embedded data in an instance of its own, under
 * `<DATA_DIR>/<module>`. The first start of 0.2.0 on such a directory copies the module's
 * schema into the shared instance, after the module's migrations made its tables there, and
 * then renames the old directory to `<module>.before-0.2.0` (kept: delete it once satisfied).
 *
 * It is safe to interrupt: the copy is one transaction that first empties the module's tables,
 * and the old directory keeps its name until that transaction committed, so a start that died
 * half-way copies again. The module serves nothing before the copy is done.
 *
 * Rows are copied by the columns both sides have (a column added since is left to its default).
 * This holds while the migrations since 0.1.0 only add tables and columns; a migration that
 * rewrites existing rows must also run on the copy.
 */
export async function importLegacyData(
  target: EmbeddedPostgres,
  options: { dataDir: string; module: string; schema: string; logger: Logger },
): Promise<void> {
  const legacyDir = join(options.dataDir, options.module);
  if (!existsSync(join(legacyDir, 'PG_VERSION'))) return;
  const started = Date.now();
  options.logger.log(
    `copying the data of ${legacyDir} (release 0.1.0's layout) into the shared instance`,
  );
  const legacy = await PGlite.create(legacyDir, EmbeddedPostgres.startOptions());
  let rows = 0;
  try {
    const tables = await columnsByTable(legacy, options.schema);
    await target.withSession(options.schema, async (db) => {
      const here = await columnsByTable(db, options.schema);
      await db.transaction(async (tx) => {
        const copied = [...tables.keys()].filter((t) => t !== 'migrations' && here.has(t));
        if (copied.length > 0) {
          await tx.exec(`TRUNCATE ${copied.map((t) => quoted(options.schema, t)).join(', ')}`);
        }
        for (const table of copied) {
          const columns = tables.get(table)!.filter((c) => here.get(table)!.includes(c));
          const list = columns.map((c) => `"${c}"`).join(', ');
          const out = await legacy.query(
            `COPY (SELECT ${list} FROM ${quoted(options.schema, table)}) TO '/dev/blob'`,
          );
          if (!out.blob) continue;
          const into = await tx.query(
            `COPY ${quoted(options.schema, table)} (${list}) FROM '/dev/blob'`,
            [],
            { blob: out.blob },
          );
          rows += into.affectedRows ?? 0;
        }
        for (const sequence of await sequences(legacy, options.schema)) {
          await tx.query(
            `SELECT setval($1::text::regclass, $2, $3) WHERE to_regclass($1::text) IS NOT NULL`,
            [quoted(options.schema, sequence.name), sequence.last, sequence.called],
          );
        }
      });
    });
  } finally {
    await legacy.close();
  }
  await rename(legacyDir, `${legacyDir}.before-0.2.0`);
  options.logger.log(
    `copied ${rows} row(s) in ${Date.now() - started} ms; the old directory is kept as ${legacyDir}.before-0.2.0`,
  );
}

type Queryable = Pick<PGlite, 'query'>;

async function columnsByTable(db: Queryable, schema: string): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ table: string; column: string }>(
    `SELECT c.table_name AS table, c.column_name AS column
     FROM information_schema.columns c
     JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.ordinal_position`,
    [schema],
  );
  const tables = new Map<string, string[]>();
  for (const { table, column } of rows) tables.set(table, [...(tables.get(table) ?? []), column]);
  return tables;
}

async function sequences(
  db: Queryable,
  schema: string,
): Promise<Array<{ name: string; last: string; called: boolean }>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT sequencename AS name FROM pg_sequences WHERE schemaname = $1 AND last_value IS NOT NULL`,
    [schema],
  );
  const found = [];
  for (const { name } of rows) {
    const [state] = (
      await db.query<{ last: string; called: boolean }>(
        `SELECT last_value::text AS last, is_called AS called FROM ${quoted(schema, name)}`,
      )
    ).rows;
    if (state) found.push({ name, ...state });
  }
  return found;
}

function quoted(schema: string, name: string): string {
  return `"${schema}"."${name}"`;
}
