import { DataSource } from 'typeorm';
import { describeEachEngine } from '../../test/databases';
import { dataSourceOptions } from './data-source';

describeEachEngine('database schema', (db) => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = new DataSource(dataSourceOptions({ url: db().url }));
    await ds.initialize(); // runs the migrations
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
  });

  it('migrations produce exactly the schema the entities describe', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('migrations are recorded and not run twice', async () => {
    expect(await ds.showMigrations()).toBe(false);
    const ran = await ds.query('SELECT name FROM migrations');
    expect((ran as { name: string }[]).map((r) => r.name)).toEqual([
      'Initial1795700000000',
      'Management1795800000000',
      'LongJson1795900000000',
    ]);
  });

  it('round-trips JSON policies and bigint counters', async () => {
    await ds.getRepository('AdminGroup').insert({
      id: 'g1',
      name: 'Root',
      parentId: null,
      policy: { locked: ['cloud'] },
      version: 1,
      createdAt: 'x',
      updatedAt: 'x',
    });
    expect(await ds.getRepository('AdminGroup').findOneByOrFail({ id: 'g1' })).toMatchObject({
      policy: { locked: ['cloud'] },
      version: 1,
    });
    await ds.getRepository('TrafficMinute').insert({ proxyId: 'p', minute: 'm', bytesSaved: 5_000_000_000 });
    expect(await ds.getRepository('TrafficMinute').findOneByOrFail({ proxyId: 'p' })).toMatchObject({
      bytesSaved: 5_000_000_000,
      lookups: 0,
    });
  });
});
