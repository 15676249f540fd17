/**
 * The PostgreSQL and Redis servers the store and lease suites run against. Locally a
 * missing URL skips those suites; under CI=true (set by .ci/run) it fails them, so CI
 * cannot pass without PostgreSQL and Redis coverage (docs/CONTRIBUTING.md).
 */
export interface TestService {
  /** The server's URL, when one is configured. */
  readonly url: string | undefined;
  /** True when the suites should skip: no URL and not under CI. */
  readonly skip: boolean;
  /** The URL; throws a clear error when it is missing (under CI the suites run and fail with it). */
  require(): string;
}

export function testService(variable: 'TEST_POSTGRES_URL' | 'TEST_REDIS_URL', env: NodeJS.ProcessEnv = process.env): TestService {
  const raw = env[variable];
  const url = raw === undefined || raw === '' ? undefined : raw;
  const ci = env['CI'] === 'true';
  const server = variable === 'TEST_POSTGRES_URL' ? 'PostgreSQL' : 'Redis';
  return {
    url,
    skip: url === undefined && !ci,
    require(): string {
      if (url === undefined) {
        throw new Error(
          `${variable} is not set and CI=true: the ${server} suites must run in CI (.ci/services.sh starts ${server} and exports ${variable})`,
        );
      }
      return url;
    },
  };
}
