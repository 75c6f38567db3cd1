import nock from 'nock';
import { beforeEach } from 'vitest';

/**
 * For a test file whose pull requests come from a branch of acme/shop: before each test,
 * GitHub answers the repository activity with `items` (by default, nobody pushed), so
 * tests about other things need not each say who pushed. Cleared by offline()'s cleanAll.
 */
export function answerActivity(api: string, items: unknown[] = []): void {
  beforeEach(() => {
    nock(api).persist().get('/repos/acme/shop/activity').query(true).reply(200, items);
  });
}
