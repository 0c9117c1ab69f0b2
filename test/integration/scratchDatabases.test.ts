import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { createDatabase, dropDatabase } from '../../src/db/scratchDatabases.js';
import { UsageError } from '../../src/errors.js';
import { adminUrl } from '../support/database.js';

const unique = () => `t_scratch_${randomBytes(4).toString('hex')}`;

async function exists(name: string): Promise<boolean> {
  const admin = Database.connect(adminUrl(), { max: 1 });
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await admin.close();
  }
}

describe('scratch databases', () => {
  it('copies a template by its files (file_copy) over an open admin connection, then drops it over the same', async () => {
    const template = unique();
    const copy = unique();
    const admin = Database.connect(adminUrl(), { max: 1 });
    try {
      const templateUrl = await createDatabase(adminUrl(), template, { via: admin });
      const source = Database.connect(templateUrl, { max: 1 });
      await source.query('create table kept (id int); insert into kept values (42)');
      await source.close();
      const copyUrl = await createDatabase(adminUrl(), copy, { template, strategy: 'file_copy', via: admin });
      const copied = Database.connect(copyUrl, { max: 1 });
      try {
        expect((await copied.query('select id from kept')).rows).toEqual([{ id: 42 }]);
      } finally {
        await copied.close();
      }
    } finally {
      await dropDatabase(adminUrl(), copy, { via: admin });
      await dropDatabase(adminUrl(), template, { via: admin });
      await admin.close();
    }
    expect(await exists(copy)).toBe(false);
    expect(await exists(template)).toBe(false);
  });

  it('refuses a copy strategy without a template, and names that are not plain, creating nothing', async () => {
    const name = unique();
    await expect(createDatabase(adminUrl(), name, { strategy: 'file_copy' })).rejects.toThrow(
      new UsageError('a copy strategy needs a template to copy'),
    );
    await expect(createDatabase(adminUrl(), 'Bad-Name')).rejects.toThrow(/not a usable database name/);
    await expect(createDatabase(adminUrl(), name, { template: 'x; drop database postgres' })).rejects.toThrow(
      /not a usable database name/,
    );
    expect(await exists(name)).toBe(false);
  });
});
