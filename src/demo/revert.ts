import { performance } from 'node:perf_hooks';
import type { LeakEvidence } from '../probe/types.ts';
import type { Shop } from '../shop/index.ts';
import { askAsProbe, refusesConnections } from './confirm.ts';
import type { Router, Withdrawal } from './router.ts';
import { formatMs } from './timeline.ts';
import type { EventKind, Revert, TimelineEvent } from './types.ts';

/**
 * The revert after a leak, told from facts: the router has already withdrawn the candidate
 * (synchronously, in the probe's onLeak); here the candidate is stopped, and both steps are
 * confirmed from outside before the timeline says they happened.
 */

export type Emit = (
  kind: EventKind,
  title: string,
  extra?: Partial<Omit<TimelineEvent, 'kind' | 'title'>>,
) => void;

export interface RevertInput {
  release: string;
  /** The release real users (and, after the withdrawal, probes) must reach. */
  stable: string;
  shop: Shop;
  router: Router;
  leak: LeakEvidence;
  withdrawal: Withdrawal;
  /** performance.now(): the router started sending the candidate traffic. */
  canaryAt: number;
  /** performance.now(): the probe had the leaking response in hand. */
  detectedAt: number;
  emit: Emit;
  /** performance.now() as milliseconds since the demo started. */
  since: (at: number) => number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function revertCandidate(input: RevertInput): Promise<Revert> {
  const { release, stable, shop, router, leak, withdrawal, emit, since } = input;

  // The candidate's own record of its first leaking response. It must come before the probe
  // saw one; otherwise the record missed the one the probe flagged and the probe's moment is
  // the only honest start.
  const first = shop.stats.crossUser.first;
  const fromCandidate = first !== undefined && first.at <= input.detectedAt;
  if (first && fromCandidate) {
    emit(
      'leak-sent',
      `${release} wrote its first response with another account's data: ${first.credentialOf}'s request got ${first.dataOf}'s data`,
      {
        release,
        atMs: since(first.at),
        detail: [`${release}'s own record, taken as it wrote the response`],
      },
    );
  }
  emit('leak', `probe caught a cross-tenant leak in ${release}: ${leak.summary}`, {
    release,
    atMs: since(input.detectedAt),
    detail: leakLines(leak),
  });
  const reactionMs = round(withdrawal.at - (fromCandidate ? first.at : input.detectedAt));

  // The withdrawal, seen from outside: a probe-marked request now goes to stable, and the
  // router sent the candidate nothing after the withdrawal (that request included).
  const afterwards = await askAsProbe(router.url, router.probeHeader);
  const lastRouted = router.lastRoutedAt(release);
  const lastRoutedBeforeWithdrawalMs =
    lastRouted === undefined ? null : round(withdrawal.at - lastRouted);
  const withdrawn =
    afterwards.routedTo === stable &&
    afterwards.answeredBy === stable &&
    (lastRoutedBeforeWithdrawalMs ?? 0) >= 0;
  const measured = fromCandidate
    ? 'its first leaking response was written'
    : 'the probe found the leak';
  emit(
    'withdraw',
    withdrawn
      ? `router withdrew ${release}, ${formatMs(reactionMs)} after ${measured}`
      : `router did NOT withdraw ${release}: probe-marked traffic still reaches it`,
    {
      release,
      atMs: since(withdrawal.at),
      ok: withdrawn,
      detail: [
        lastRoutedBeforeWithdrawalMs === null
          ? `the router never sent ${release} a request`
          : `the router last sent ${release} a request ${formatMs(Math.abs(lastRoutedBeforeWithdrawalMs))} ${lastRoutedBeforeWithdrawalMs >= 0 ? 'before' : 'AFTER'} the withdrawal`,
        `a probe-marked request afterwards was routed to ${afterwards.routedTo || 'nowhere'} and answered by ${afterwards.answeredBy}`,
      ],
    },
  );

  await shop.close();
  const stopped = performance.now();
  const portRefused = await refusesConnections(shop.url);
  const host = new URL(shop.url).host;
  emit(
    'stop',
    portRefused
      ? `candidate ${release} stopped: ${host} refuses connections`
      : `candidate ${release} NOT stopped: ${host} still accepts connections`,
    { release, atMs: since(stopped), ok: portRefused },
  );

  return {
    reactionMs,
    measuredFrom: fromCandidate ? 'candidate' : 'probe',
    windowMs: round(withdrawal.at - input.canaryAt),
    detectToWithdrawMs: round(withdrawal.at - input.detectedAt),
    stopMs: round(stopped - withdrawal.at),
    probeRequests: leak.request.number,
    withdrawnAtMs: since(withdrawal.at),
    ...(first && fromCandidate && { firstLeakAtMs: since(first.at) }),
    confirmed: {
      lastRoutedBeforeWithdrawalMs,
      probeAfterwards: { routedTo: afterwards.routedTo, answeredBy: afterwards.answeredBy },
      address: host,
      portRefused,
    },
  };
}

function leakLines(leak: LeakEvidence): string[] {
  const r = leak.request;
  const lines = [
    `request #${r.number} as ${r.tenant}: ${r.method} ${r.path} (${r.pattern}), HTTP ${leak.status}`,
  ];
  if (leak.expectedIdentity !== undefined)
    lines.push(`expected identity ${leak.expectedIdentity}, got ${leak.observedIdentity}`);
  if (leak.owner) lines.push(`the data belonged to ${leak.owner}`);
  return lines;
}
