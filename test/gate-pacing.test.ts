import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from 'octokit';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/client.ts';
import {
  isMutation,
  MUTATION_GAP_MS,
  type PacingClock,
  spaceMutations,
} from '../src/github/pacing.ts';

/**
 * How the shipped client (retry and throttling on) paces requests: read-only queries go
 * out together, within one client and across clients in one process; requests that
 * change something go one at a time, a second apart. Proved against a loopback GitHub
 * that holds every request until as many as a test expects are in flight at once.
 */

interface Seen {
  method: string;
  path: string;
  at: number;
}

interface Gate {
  url: string;
  seen: Seen[];
  /** How many requests were in flight together at most. */
  peak: number;
  close(): Promise<void>;
}

/**
 * Answers once `together` requests are waiting, or after `patienceMs`, well under the
 * second the throttling plugin used to put between GraphQL requests: a client that holds
 * its requests back is seen as such, instead of hanging the test.
 */
async function holdingGitHub(together: number, patienceMs = 500): Promise<Gate> {
  const waiting: ServerResponse[] = [];
  const gate: Omit<Gate, 'url' | 'close'> = { seen: [], peak: 0 };
  const release = () => {
    for (const res of waiting.splice(0)) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4000' });
      res.end(JSON.stringify({ data: { viewer: { login: 'vakt' } }, id: 1 }));
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      gate.seen.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now() });
      waiting.push(res);
      gate.peak = Math.max(gate.peak, waiting.length);
      if (waiting.length >= together) release();
      else setTimeout(release, patienceMs);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    ...gate,
    get seen() {
      return gate.seen;
    },
    get peak() {
      return gate.peak;
    },
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

let github: Gate | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

const client = (url: string) => createGitHub({ token: 'pacing', baseUrl: url, retries: true });
const QUERY = 'query { viewer { login } }';
const status = (sha: string) => ({
  owner: 'acme',
  repo: 'shop',
  sha,
  state: 'success' as const,
  context: 'vakt/two-person',
});

describe('isMutation', () => {
  it.each([
    [{ method: 'GET', url: '/repos/{owner}/{repo}/commits/{ref}' }, false],
    [
      { method: 'POST', url: '/graphql', query: 'query vaktPullRequest { viewer { login } }' },
      false,
    ],
    [{ method: 'POST', url: '/graphql', query: '\n  mutation { addComment { id } }' }, true],
    // GitHub Enterprise Server's GraphQL endpoint: a query there is no write either.
    [
      {
        method: 'POST',
        url: 'https://ghe.example.com/api/graphql',
        query: 'query { viewer { login } }',
      },
      false,
    ],
    [{ method: 'POST', url: 'https://ghe.example.com/api/graphql', query: 'mutation { x }' }, true],
    [{ method: 'POST', url: '/repos/{owner}/{repo}/statuses/{sha}' }, true],
    [{ method: 'PATCH', url: '/repos/{owner}/{repo}' }, true],
    [{ method: 'POST', url: '/app/installations/{installation_id}/access_tokens' }, false],
  ])('%j: %s', (options, expected) => {
    expect(isMutation(options)).toBe(expected);
  });
});

describe('the shipped GitHub client', () => {
  it('sends one client’s read-only GraphQL queries together, not a second apart', async () => {
    github = await holdingGitHub(3);
    const octokit = await client(github.url);
    await Promise.all([1, 2, 3].map(() => octokit.graphql(QUERY)));
    expect(github.peak).toBe(3);
  });

  it('does not queue one client’s queries behind another client’s', async () => {
    github = await holdingGitHub(2);
    const [a, b] = await Promise.all([client(github.url), client(github.url)]);
    await Promise.all([a.graphql(QUERY), b.graphql(QUERY)]);
    expect(github.peak).toBe(2);
  });

  it(`still posts commit statuses one at a time, ${MUTATION_GAP_MS} ms apart`, async () => {
    github = await holdingGitHub(2, 200);
    const octokit = await client(github.url);
    const post = (sha: string) =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', status(sha));
    await Promise.all([post('a'.repeat(40)), post('b'.repeat(40)), octokit.graphql(QUERY)]);
    const posts = github.seen.filter((s) => s.path.includes('/statuses/'));
    expect(posts).toHaveLength(2);
    // The query went out beside the first status; the second status waited its turn.
    expect(github.peak).toBe(2);
    // How long apart is for the clock to say (below): arrival times at a server follow
    // the machine's load, not the client's pacing.
    expect(posts.map((p) => p.path)).toEqual([
      expect.stringContaining('a'.repeat(40)),
      expect.stringContaining('b'.repeat(40)),
    ]);
  });
});

describe('spaceMutations() on its own clock', () => {
  /** A clock that moves only when pacing sleeps: every time below is exact. */
  function fakeClock(): PacingClock & { slept: number[] } {
    let t = 5_000;
    const slept: number[] = [];
    return {
      slept,
      now: () => t,
      sleep: async (ms) => {
        slept.push(ms);
        t += ms;
      },
    };
  }

  it(`starts each mutation ${MUTATION_GAP_MS} ms after the one before, and reads at once`, async () => {
    const clock = fakeClock();
    const sent: { what: string; at: number }[] = [];
    const octokit = new Octokit({
      request: {
        fetch: async (url: string, init: { method?: string; body?: string }) => {
          const what = `${init.method} ${new URL(url).pathname}${init.body?.includes('mutation') ? ' mutation' : ''}`;
          sent.push({ what, at: clock.now() });
          return new Response(JSON.stringify({ data: {} }), {
            headers: { 'content-type': 'application/json' },
          });
        },
      },
    });
    spaceMutations(octokit, MUTATION_GAP_MS, clock);
    const post = (sha: string) =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', status(sha));
    await Promise.all([
      post('a'.repeat(40)),
      post('b'.repeat(40)),
      octokit.graphql(QUERY),
      octokit.graphql('mutation { addComment(input: {}) { clientMutationId } }'),
    ]);
    const at = Object.fromEntries(sent.map((s) => [s.what, s.at]));
    expect(at['POST /graphql']).toBe(5_000);
    const mutations = sent.filter((s) => s.what !== 'POST /graphql').map((s) => s.at);
    expect(mutations).toEqual([5_000, 6_000, 7_000]);
    expect(clock.slept).toEqual([MUTATION_GAP_MS, MUTATION_GAP_MS]);
  });

  it('does not wait when the last mutation is long past', async () => {
    const clock = fakeClock();
    const octokit = new Octokit({
      request: {
        fetch: async () => new Response('{}', { headers: { 'content-type': 'application/json' } }),
      },
    });
    spaceMutations(octokit, MUTATION_GAP_MS, clock);
    const post = () =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', status('c'.repeat(40)));
    await post();
    await clock.sleep(MUTATION_GAP_MS * 3);
    await post();
    expect(clock.slept).toEqual([MUTATION_GAP_MS * 3]);
  });
});
