import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * For a test file that talks to GitHub through nock: nothing leaves the machine, and
 * each test starts without the previous one's answers. Loopback stays open for the test
 * servers when `loopback` is set (nock hooks every socket, loopback included).
 */
export function offline(options: { loopback?: boolean } = {}): void {
  beforeAll(() => {
    nock.disableNetConnect();
    if (options.loopback) nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
