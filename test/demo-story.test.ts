import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RevertedCandidate } from '../src/demo/canary.ts';
import { demoHtml } from '../src/demo/report-html.ts';
import { demoMarkdown } from '../src/demo/report-markdown.ts';
import { runStory } from '../src/demo/story.ts';
import { type ShopUser, TEST_USERS } from '../src/shop/index.ts';

/**
 * The revert, checked by the test itself rather than by what the story says about it: once
 * the story reports a leaking candidate reverted, probe-marked traffic must reach stable and
 * the candidate's address must refuse connections. Either half missing fails here.
 */

const alice = TEST_USERS[0] as ShopUser;

interface Observed {
  answeredBy: (string | null)[];
  routedTo: string[];
  connection: 'refused' | 'accepted' | string;
}

function tryConnect(address: string): Promise<Observed['connection']> {
  const url = new URL(address);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : String(error.code)),
    );
  });
}

async function observe(candidate: RevertedCandidate): Promise<Observed> {
  // Personal requests, as a probe tenant would send them, several at once.
  const answers = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(`${candidate.routerUrl}/api/me`, {
        headers: {
          [candidate.probeHeader.name]: candidate.probeHeader.value,
          authorization: `Bearer ${alice.token}`,
        },
      }),
    ),
  );
  for (const answer of answers) await answer.arrayBuffer();
  return {
    answeredBy: answers.map((a) => a.headers.get('x-shop-version')),
    routedTo: answers.map((a) => (a.headers.get('x-vakt-route') ?? '').split('/')[0] ?? ''),
    connection: await tryConnect(candidate.address),
  };
}

describe('the demo story’s revert', () => {
  it.each([['cache-without-user'], ['pipeline-cancel']] as const)(
    '%s: afterwards probe traffic reaches stable and the candidate refuses connections',
    async (flaw) => {
      let observed: Observed | undefined;
      let reverted: RevertedCandidate | undefined;
      const result = await runStory({
        flaw,
        untilRevert: true,
        warmupMs: 50,
        onReverted: async (candidate) => {
          reverted = candidate;
          observed = await observe(candidate);
        },
      });
      expect(reverted?.release).toBe('v2');
      expect(reverted?.stable).toBe('v1');
      expect(observed?.routedTo).toEqual(Array(8).fill('v1'));
      expect(observed?.answeredBy).toEqual(Array(8).fill('v1'));
      expect(observed?.connection).toBe('refused');

      // The story's own account agrees with what the test saw.
      const revert = result.canaries[0]?.revert;
      expect(revert?.confirmed.probeAfterwards).toEqual({ routedTo: 'v1', answeredBy: 'v1' });
      expect(revert?.confirmed.portRefused).toBe(true);
      expect(revert?.confirmed.lastRoutedBeforeWithdrawalMs).toBeGreaterThanOrEqual(0);
      const kinds = result.events.filter((e) => e.release === 'v2').map((e) => e.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(['leak-sent', 'leak', 'withdraw', 'stop', 'exposure']),
      );
      // Nothing about v2 went wrong (the story stops at the revert, so the end is not judged).
      expect(result.events.filter((e) => e.release === 'v2' && e.ok === false)).toEqual([]);

      // The router's probe header value lets whoever holds it reach a candidate: a run-time
      // secret that no report, nor the JSON, may carry.
      const value = reverted?.probeHeader.value ?? '';
      expect(value.length).toBeGreaterThanOrEqual(12);
      for (const text of [demoHtml(result), demoMarkdown(result), JSON.stringify(result)])
        expect(text.includes(value)).toBe(false);
    },
  );

  it('measures the reaction from the candidate’s first leaking response, within the window', async () => {
    const result = await runStory({ flaw: 'cache-without-user', untilRevert: true, warmupMs: 50 });
    const revert = result.canaries[0]?.revert;
    expect(revert?.measuredFrom).toBe('candidate');
    const firstLeak = revert?.firstLeakAtMs ?? Number.NaN;
    const canaryAt = result.events.find((e) => e.kind === 'canary')?.atMs ?? Number.NaN;
    const caughtAt = result.events.find((e) => e.kind === 'leak')?.atMs ?? Number.NaN;
    // canary start <= first leaking response written <= probe catching a leak <= withdrawal
    expect(firstLeak).toBeGreaterThanOrEqual(canaryAt);
    expect(firstLeak).toBeLessThanOrEqual(caughtAt);
    expect(caughtAt).toBeLessThanOrEqual(revert?.withdrawnAtMs ?? Number.NaN);
    expect(revert?.reactionMs).toBeGreaterThanOrEqual(revert?.detectToWithdrawMs ?? Number.NaN);
    expect(revert?.windowMs).toBeGreaterThanOrEqual(revert?.reactionMs ?? Number.NaN);
    expect(result.canaries[0]?.leaking.sent).toBeGreaterThan(0);
  });
});
