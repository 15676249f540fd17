// Minimal typings for the parts of `pg` (a dependency of @keyv/postgres) that src/db uses;
// @types/pg is not installed. A script file (no imports), so this declares the module.
declare module 'pg' {
  interface QueryResult {
    rows: Array<Record<string, unknown>>;
    rowCount: number | null;
  }
  interface ClientConfig {
    connectionString?: string;
    application_name?: string;
    connectionTimeoutMillis?: number;
    keepAlive?: boolean;
    max?: number;
    idleTimeoutMillis?: number;
  }
  type PoolConfig = ClientConfig;
  class Client {
    constructor(config?: ClientConfig);
    connect(): Promise<void>;
    query(sql: string, values?: readonly unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }
  class Pool {
    constructor(config?: PoolConfig);
    query(sql: string, values?: readonly unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
  }
  const pg: { Client: typeof Client; Pool: typeof Pool };
  export default pg;
  export { Client, Pool, PoolConfig, ClientConfig, QueryResult };
}
