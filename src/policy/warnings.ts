import type { Policy } from './schema.ts';

/**
 * Things a valid policy may still get wrong: not errors (the probe runs), but blind spots
 * worth a line from `vakt policy check`. Pure: paths, not positions.
 */

export interface PolicyWarning {
  path: (string | number)[];
  message: string;
}

type Auth = NonNullable<Policy['probe']>['tenants'][number]['auth'];

/** The header a tenant's credential travels in: what a cache may key on or skip. */
function credentialHeaders(auth: Auth): string[] {
  if (auth.bearer) return ['Authorization'];
  if (auth.cookie) return ['Cookie'];
  if (auth.headers) return Object.keys(auth.headers);
  if (auth.login) return [auth.login.token ? 'Authorization' : 'Cookie'];
  return [];
}

/**
 * A credential kind only one tenant uses: a cache that stores answers to requests with
 * that kind (and skips Authorization or Cookie) shows the leak to no other tenant, only to
 * requests without credentials.
 */
export function policyWarnings(policy: Policy): PolicyWarning[] {
  const tenants = policy.probe?.tenants ?? [];
  const byKind = new Map<string, { name: string; index: number; header: string }[]>();
  tenants.forEach((tenant, index) => {
    for (const header of credentialHeaders(tenant.auth)) {
      const key = header.toLowerCase();
      const list = byKind.get(key) ?? [];
      list.push({ name: tenant.name, index, header });
      byKind.set(key, list);
    }
  });
  const warnings: PolicyWarning[] = [];
  for (const users of byKind.values()) {
    const only = users[0];
    if (users.length !== 1 || !only) continue;
    warnings.push({
      path: ['probe', 'tenants', only.index, 'auth'],
      message:
        `tenant "${only.name}" is the only one sending ${only.header}: a cache that stores ` +
        `${only.header} answers by path alone is then seen only by the probe's requests ` +
        `without credentials; a second tenant with ${only.header} would receive it too`,
    });
  }
  return warnings;
}
