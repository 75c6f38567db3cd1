import { describe, expect, it } from 'vitest';
import { refusedLogin, refusedRequest } from '../src/probe/refusals.ts';
import { bearer, tenant } from './support/probe-target.ts';

const bob = {
  ...tenant('bob', { headers: {}, login: { method: 'POST', path: '/login' } }),
  sources: [
    { field: 'auth.login.json.user', source: 'BOB_USER' },
    { field: 'auth.login.json.password', source: 'BOB_PASSWORD' },
  ],
};
const alice = {
  ...tenant('alice', bearer('tok-a')),
  sources: [{ field: 'auth.bearer', source: 'ALICE_TOKEN' }],
};

describe('refusals', () => {
  it.each([
    ['bob', bob, 401, 'login for tenant bob refused (401): check BOB_USER and BOB_PASSWORD'],
    ['bob', bob, 403, 'login for tenant bob refused (403): check BOB_USER and BOB_PASSWORD'],
    ['bob, no secrets', { ...bob, sources: [] }, 401, 'login for tenant bob refused (401)'],
    ['bob', bob, 500, undefined],
    ['bob', bob, 429, undefined],
  ])('a login of %s answered %i', (_, who, status, expected) => {
    expect(refusedLogin(who, status)).toBe(expected);
  });

  it.each([
    ['alice', alice, 401, 'requests for tenant alice refused (401): check ALICE_TOKEN'],
    ['alice', alice, 403, 'requests for tenant alice refused (403): check ALICE_TOKEN'],
    // A session its login gave: no secret of the policy to blame.
    ['bob', bob, 401, 'requests for tenant bob refused (401)'],
    ['alice', alice, 404, undefined],
  ])('a request of %s answered %i', (_, who, status, expected) => {
    expect(refusedRequest(who, status)).toBe(expected);
  });
});
