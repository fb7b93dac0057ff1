/**
 * An engine host that opens each data source once and keeps it open, through
 * the server's own DriverPool. The engine opens and closes a database per
 * query; for hundreds of queries in one test that costs more than the
 * queries, and the property under test is the SQL, not the connection life
 * cycle, which the driver tests already cover.
 */
import { DriverPool } from '../../server/src/engine/drivers/pool';
import type { EngineHost } from '../../server/src/engine/query/execute';

export interface SharedHost {
  host: EngineHost;
  /** Closes the drivers that were opened; the host must not be used after. */
  close(): Promise<void>;
}

export function withSharedDrivers(base: EngineHost): SharedHost {
  const pool = new DriverPool((datasource) => base.openDriver(datasource));
  return {
    host: { catalog: base.catalog, openDriver: (datasource) => pool.get(datasource) },
    close: () => pool.dispose(),
  };
}
