import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deployedCommitAnswer, isDeployedCommitQuery, UNRESOLVED } from './associated-pulls.ts';
import {
  approversAnswer,
  type GitHubWorld,
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
} from './github-answers.ts';

/**
 * GitHub's API on loopback, for what cannot use nock: a bundled Action run in its own
 * process, and the decision-time benchmarks. Answers the gate's queries (and, for
 * `--image`, the attestations API) from a world.
 */
export interface FakeGitHub {
  url: string;
  /** Requests by "METHOD path". */
  requests: string[];
  /** Commit statuses posted, with the SHA they were set on. */
  statuses: { sha: string; state: string; context: string; description: string }[];
  /** Authorization headers seen (to prove the token arrived, and only here). */
  authorizations: Set<string>;
  close(): Promise<void>;
}

export interface FakeWorld extends GitHubWorld {
  /**
   * GET /repos/{owner}/{repo}/commits/{sha}/pulls, by SHA; GraphQL's
   * Commit.associatedPullRequests answers from the same lists.
   */
  commitPulls?: Record<string, unknown[]>;
  /** false: GraphQL does not know Commit.associatedPullRequests, as an older GitHub. */
  associatedPullRequests?: boolean;
  /** GET /repos/{owner}/{repo}/activity: who pushed to the head branch (default nobody). */
  activity?: unknown[];
  /** GET /repos/{owner}/{repo}/attestations/{subject_digest}, by "sha256:<hex>". */
  attestations?: Record<string, unknown>;
}

export async function startFakeGitHub(world: FakeWorld): Promise<FakeGitHub> {
  const fake: Omit<FakeGitHub, 'url' | 'close'> = {
    requests: [],
    statuses: [],
    authorizations: new Set(),
  };
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    fake.requests.push(`${req.method} ${path}`);
    if (req.headers.authorization) fake.authorizations.add(req.headers.authorization);
    const text = await readBody(req);
    if (req.method === 'POST' && path === '/graphql') {
      const body = JSON.parse(text) as GraphqlBody;
      if (isPullRequestQuery(body)) return send(res, 200, world.pullRequest);
      if (isDeployedCommitQuery(body)) {
        if (world.associatedPullRequests === false) return send(res, 200, UNRESOLVED);
        const sha = String(body.variables.sha);
        const pulls = world.commitPulls?.[sha] ?? [];
        return send(res, 200, deployedCommitAnswer(sha, pulls, world.pullRequest));
      }
      if (isApproversQuery(body)) return send(res, 200, approversAnswer(body, world));
      return send(res, 400, { message: 'unexpected query' });
    }
    const pulls = /^\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]{40})\/pulls$/.exec(path);
    if (req.method === 'GET' && pulls?.[1])
      return send(res, 200, world.commitPulls?.[pulls[1]] ?? []);
    if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/activity$/.test(path))
      return send(res, 200, world.activity ?? []);
    const attested = /^\/repos\/[^/]+\/[^/]+\/attestations\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && attested?.[1]) {
      const answer = world.attestations?.[decodeURIComponent(attested[1])];
      if (answer !== undefined) return send(res, 200, answer);
    }
    const status = /^\/repos\/[^/]+\/[^/]+\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (req.method === 'POST' && status?.[1]) {
      const posted = JSON.parse(text) as { state: string; context: string; description: string };
      fake.statuses.push({ sha: status[1], ...posted });
      return send(res, 201, { id: fake.statuses.length, ...posted });
    }
    send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-ratelimit-remaining': '4999',
  });
  res.end(text);
}
