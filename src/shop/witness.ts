import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ALL_USERS, type ShopUser } from './users.ts';

/**
 * The shop's own record of the personal responses it sent that carried another account's
 * data. It does not trust the code that built the response: after the response is written
 * it asks whose data went out (the account the body was rendered for, any account's e-mail
 * in a header) and compares that with the account whose credential the request presented.
 * So it sees every flaw alike, whichever way the foreign data travelled.
 */

export interface CrossUserRecord {
  /** Responses sent that carried another account's data. */
  sent: number;
  /** Those responses by the account whose credential the request presented. */
  byCredential: Map<string, number>;
  /** The first one: when it was written (performance.now() in this process), to whom, whose data. */
  first?: { at: number; credentialOf: string; dataOf: string };
}

/** How a credential that belongs to no account is named in the counts. */
export const NO_ACCOUNT = '(no account)';

/** The first account other than `caller` whose data the response carries, if any. Pure. */
export function foreignData(
  caller: ShopUser | undefined,
  headers: OutgoingHttpHeaders,
  bodyOwner: ShopUser | undefined,
): ShopUser | undefined {
  if (bodyOwner && bodyOwner.id !== caller?.id) return bodyOwner;
  for (const value of Object.values(headers)) {
    const text = Array.isArray(value) ? value.join('\n') : String(value ?? '');
    const owner = ALL_USERS.find((u) => u.id !== caller?.id && text.includes(u.email));
    if (owner) return owner;
  }
  return undefined;
}

export function recordCrossUser(
  record: CrossUserRecord,
  caller: ShopUser | undefined,
  dataOf: ShopUser,
): void {
  const credentialOf = caller?.name ?? NO_ACCOUNT;
  record.sent++;
  record.byCredential.set(credentialOf, (record.byCredential.get(credentialOf) ?? 0) + 1);
  record.first ??= { at: performance.now(), credentialOf, dataOf: dataOf.name };
}
