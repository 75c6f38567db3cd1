import { describe, expect, it } from 'vitest';
import { validateInlinePolicy } from '../src/release/validate.ts';

/** A ReleaseGuard's inline policy takes its secrets from the tenants Secret only. */

const policy = (probe: Record<string, unknown>) => ({
  apiVersion: 'vakt.dev/v1alpha1',
  kind: 'Policy',
  probe: {
    tenants: [
      { name: 'alice', identity: 'u-1', auth: { bearer: { env: 'ALICE' } } },
      { name: 'bob', identity: 'u-2', auth: { bearer: { env: 'BOB' } } },
    ],
    identity: { path: '/me', jsonPointer: '/id' },
    ...probe,
  },
});

describe('inline policy secrets in a ReleaseGuard', () => {
  it('accepts { env } anywhere in the probe', () => {
    const checked = validateInlinePolicy(
      policy({
        tls: { ca: { env: 'CA_PEM' } },
        endpoints: [
          { path: '/graphql', graphql: { query: '{ me { id } }', variables: { k: { env: 'K' } } } },
        ],
      }),
    );
    expect(checked.ok).toBe(true);
  });

  it.each([
    [
      'a private CA read from the operator’s files',
      { tls: { ca: { file: '/var/run/secrets/kubernetes.io/serviceaccount/token' } } },
      'spec.policy.inline.probe.tls.ca.file',
    ],
    [
      'a request body secret written inline',
      { endpoints: [{ path: '/q', json: { key: { value: 'k' } } }] },
      'spec.policy.inline.probe.endpoints[0].json.key.value',
    ],
    [
      'GraphQL variables from a file',
      {
        identity: {
          path: '/g',
          graphql: { query: 'q', variables: { k: { file: '/etc/passwd' } } },
          jsonPointer: '/id',
        },
      },
      'spec.policy.inline.probe.identity.graphql.variables.k.file',
    ],
  ])('refuses %s', (_name, probe, path) => {
    const checked = validateInlinePolicy(policy(probe));
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems).toContainEqual({
      path,
      message: expect.stringMatching(/use \{ env: KEY \} naming a key of tenantsSecretRef/),
    });
  });
});
