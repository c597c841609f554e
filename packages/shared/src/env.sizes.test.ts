import { parseEnv, ConfigError } from './env';

/** The pipeline's window sizes: production defaults unless set; tests may make them as small as one row (docs/testing.md). */
describe('window sizes', () => {
  it('keep the production defaults when nothing is set', () => {
    const e = parseEnv({});
    expect({
      INGEST_COPY_CHUNK: e.INGEST_COPY_CHUNK,
      INGEST_SORT_WINDOW: e.INGEST_SORT_WINDOW,
      INGEST_THREAD_ROWS: e.INGEST_THREAD_ROWS,
      ROUTE_CHUNK_SIZE: e.ROUTE_CHUNK_SIZE,
      ROUTE_OWN_TABLE_ABOVE: e.ROUTE_OWN_TABLE_ABOVE,
      ROUTE_OUT_BYTES: e.ROUTE_OUT_BYTES,
      RELEASE_OWN_TABLE_ABOVE: e.RELEASE_OWN_TABLE_ABOVE,
    }).toEqual({
      INGEST_COPY_CHUNK: 20_000,
      INGEST_SORT_WINDOW: 100_000,
      INGEST_THREAD_ROWS: undefined,
      ROUTE_CHUNK_SIZE: 100_000,
      ROUTE_OWN_TABLE_ABOVE: 100_000,
      ROUTE_OUT_BYTES: 1 << 20,
      RELEASE_OWN_TABLE_ABOVE: 100_000,
    });
  });

  it('accept one row and refuse zero, naming the variable', () => {
    const e = parseEnv({
      INGEST_COPY_CHUNK: '1',
      INGEST_SORT_WINDOW: '1',
      INGEST_THREAD_ROWS: '1',
      ROUTE_CHUNK_SIZE: '1',
      RELEASE_OWN_TABLE_ABOVE: '0',
    });
    expect([e.INGEST_COPY_CHUNK, e.INGEST_SORT_WINDOW, e.INGEST_THREAD_ROWS, e.ROUTE_CHUNK_SIZE, e.RELEASE_OWN_TABLE_ABOVE]).toEqual([
      1, 1, 1, 1, 0,
    ]);
    for (const name of ['INGEST_COPY_CHUNK', 'INGEST_SORT_WINDOW', 'INGEST_THREAD_ROWS', 'ROUTE_CHUNK_SIZE']) {
      expect(() => parseEnv({ [name]: '0' })).toThrow(ConfigError);
      expect(() => parseEnv({ [name]: '0' })).toThrow(new RegExp(`${name}="0"`));
    }
  });
});
