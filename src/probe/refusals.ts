import type { CredentialSource } from '../policy/secrets.ts';
import type { ProbeTenant } from './config.ts';

/**
 * The words for a credential the target refused (401, 403). A refusal is no outage: the
 * target answered, and the fix is the tenant's secret, so the reason names the tenant and
 * where its secret comes from (a variable, a file, a key of a Secret), never the value.
 */

const REFUSED = new Set([401, 403]);

function check(sources: readonly CredentialSource[]): string {
  const names = [...new Set(sources.map((s) => s.source))];
  if (names.length === 0) return '';
  const list =
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `: check ${list}`;
}

const ofLogin = (s: CredentialSource) => s.field.startsWith('auth.login');

/** `login for tenant bob refused (401): check BOB_PASSWORD`, or undefined for other statuses. */
export function refusedLogin(tenant: ProbeTenant, status: number): string | undefined {
  if (!REFUSED.has(status)) return undefined;
  return `login for tenant ${tenant.name} refused (${status})${check((tenant.sources ?? []).filter(ofLogin))}`;
}

/**
 * A tenant's request refused. One reason per tenant and status, whatever the path: a
 * refused credential is one problem however many endpoints say so. A tenant that logs in
 * holds a session the target issued, so no secret of the policy is named for it.
 */
export function refusedRequest(tenant: ProbeTenant, status: number): string | undefined {
  if (!REFUSED.has(status)) return undefined;
  const hint = tenant.auth.login ? '' : check((tenant.sources ?? []).filter((s) => !ofLogin(s)));
  return `requests for tenant ${tenant.name} refused (${status})${hint}`;
}
