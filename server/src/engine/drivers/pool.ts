import { traceIo } from '../../io-trace';
import type { DatasourceDef } from '../schema/types';
import type { Driver, ResultSet, RunOptions } from './types';

/**
 * One driver per datasource definition, kept between queries: starting the
 * SQLite worker and its WebAssembly costs ~100 ms, a query on a warm one a few.
 * Files are still opened and closed per query by the drivers themselves, so
 * pooling holds no database lock. A changed definition gets a new driver.
 */
export class DriverPool {
  private readonly drivers = new Map<string, Driver>();

  /** `open` is how a driver is made: openDriver with the storage root's options, or a test's own. */
  constructor(private readonly open: (datasource: DatasourceDef) => Driver) {}

  /** A driver whose close() leaves the pooled one running; `dispose` ends them all. */
  get(datasource: DatasourceDef): Driver {
    const key = JSON.stringify(datasource);
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = this.open(datasource);
      this.drivers.set(key, driver);
    }
    return borrowed(driver, datasource.name);
  }

  async dispose(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((driver) => driver.close()));
  }
}

function borrowed(driver: Driver, name: string): Driver {
  return {
    dialect: driver.dialect,
    run: (sql: string, options?: RunOptions): Promise<ResultSet> => {
      traceIo('query', name);
      return driver.run(sql, options);
    },
    close: () => Promise.resolve(),
  };
}
