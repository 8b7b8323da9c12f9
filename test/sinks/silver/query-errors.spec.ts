import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { QueryError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { advertPath, type EndpointAdvert, type QueryEndpoint, serveQueries } from '../../../sinks/silver/endpoint.ts';
import { querySilver } from '../../../sinks/silver/query-client.ts';

describe('sinks/silver: errors across the query endpoint', () => {
  let dir: string;
  let silverPath: string;
  let instance: DuckDBInstance;
  let endpoint: QueryEndpoint;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pma-query-errors-'));
    silverPath = join(dir, 'silver.duckdb');
    instance = await DuckDBInstance.create(':memory:');
    endpoint = await serveQueries(instance, silverPath, () => ({}), silentLogger);
  });

  after(async () => {
    await endpoint.close();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  const live = (sql: string) => querySilver({ silverPath, source: 'live', maxRows: 10 }, sql).catch((e: unknown) => e);

  it('brings a refusal back as QueryError with its context and the sink-side stack', async () => {
    const err = await live('CREATE TABLE t (x INTEGER)');
    expect(err).to.be.instanceOf(QueryError);
    expect(err).to.have.property('code', 'PMA_ERR_QUERY');
    expect((err as QueryError).context).to.deep.equal({ sql: 'CREATE TABLE t (x INTEGER)', statement: 1 });
    const [remote, local] = (err as Error).stack!.split('--- rebuilt ---');
    expect(remote).to.contain('read-only-query.ts');
    expect(local).to.contain('query-client.ts');
  });

  it('keeps the database error underneath as the cause', async () => {
    const err = await live('SELECT * FROM no_such_table');
    expect(err).to.be.instanceOf(QueryError);
    const cause = (err as Error).cause as Error;
    expect(cause).to.be.instanceOf(Error);
    expect(cause.message).to.match(/no_such_table/);
  });

  it('answers a request it refuses outright with the same error body', async () => {
    const advert = JSON.parse(await readFile(advertPath(silverPath), 'utf8')) as EndpointAdvert;
    const res = await fetch(`http://127.0.0.1:${advert.port}/query`, { method: 'POST', body: '{}' });
    expect(res.status).to.equal(401);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).to.include({ name: 'QueryError', code: 'PMA_ERR_QUERY', message: 'missing or wrong token' });
    expect(body.error.stack).to.be.a('string');
  });
});
