import type { Logger } from '../log.ts';
import type { ProbeConfig } from './config.ts';
import type { LeakFinding } from './detect.ts';
import { crossoverOf, type ExchangeContext, type ExchangeResult, exchange } from './exchange.ts';
import { refusedLogin } from './refusals.ts';
import { describeError } from './run-figures.ts';
import { sessionFromLogin } from './sessions.ts';
import type { LeakEvidence, Pattern, ProbeCounters, RequestInfo } from './types.ts';

/**
 * One login of a probe run: counted like any request, its answer checked for leaks like
 * any other, and a session handed out that was issued to another tenant is a leak
 * (session crossover). What it issues is remembered, to be recognised and redacted.
 */

/** What a login needs of the run it belongs to. */
export interface LoginHost {
  readonly config: ProbeConfig;
  readonly counters: ProbeCounters;
  readonly ctx: ExchangeContext;
  readonly stop: AbortController;
  readonly log: Logger | undefined;
  count(pattern: Pattern, pool: 'tenant' | 'shared', field: 'sent' | 'checked'): void;
  fail(reason: string, refused?: boolean): void;
  recordLeak(leak: LeakEvidence): void;
  evidence(
    finding: LeakFinding,
    request: RequestInfo,
    result: ExchangeResult,
    latency: number,
  ): LeakEvidence;
}

/** Logs tenant `t` in; the headers its next requests carry, or undefined when it failed. */
export async function loginAs(
  run: LoginHost,
  t: number,
): Promise<Record<string, string> | undefined> {
  const tenant = run.config.tenants[t];
  const login = tenant?.auth.login;
  if (!tenant || !login) return undefined;
  const info: RequestInfo = {
    number: ++run.counters.sent,
    tenant: tenant.name,
    method: login.method,
    path: login.path,
    pattern: 'login',
    pool: 'shared',
  };
  run.count('login', 'shared', 'sent');
  run.counters.logins++;
  const headers: Record<string, string> = { ...run.config.headers };
  if (login.body) headers['content-type'] = login.body.contentType;
  try {
    const result = await exchange(
      run.ctx,
      {
        tenant: t,
        pool: 'shared',
        method: login.method,
        path: login.path,
        headers,
        body: login.body?.text,
        identity: false,
      },
      true,
    );
    const session = sessionFromLogin(result, login.tokenPointer);
    run.log?.debug(
      {
        tenant: tenant.name,
        status: result.status,
        failure: 'failure' in session ? session.failure : undefined,
      },
      'login',
    );
    const crossover =
      'issued' in session ? crossoverOf(run.ctx.issued, t, session.issued)?.owner : undefined;
    const leak =
      result.detection.leak ??
      (crossover === undefined
        ? undefined
        : {
            kind: 'session-crossover' as const,
            summary: `logging in as ${tenant.name} returned a session issued to ${run.config.tenants[crossover]?.name}`,
            owner: run.config.tenants[crossover]?.name,
          });
    if (leak) {
      run.recordLeak(run.evidence(leak, info, result, 0));
      return undefined;
    }
    if ('failure' in session) {
      const refused = refusedLogin(tenant, result.status);
      if (refused) run.fail(refused, true);
      else
        run.fail(
          `login for tenant ${tenant.name} failed: ${session.failure.replace(/^login /, '')}`,
        );
      return undefined;
    }
    for (const value of session.issued) run.ctx.issued.set(value, t);
    run.counters.loginsAccepted++;
    return session.headers;
  } catch (error) {
    // The same words as any other request's: an unreachable target is one failure, not two.
    if (run.stop.signal.aborted) run.counters.cancelled++;
    else run.fail(describeError(error));
    return undefined;
  }
}
