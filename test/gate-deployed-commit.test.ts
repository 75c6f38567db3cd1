import nock from 'nock';
import type { Octokit } from 'octokit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { DEPLOYED_COMMIT_QUERY } from '../src/approval/deployed-commit-query.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import type { ApprovalVerdict } from '../src/approval/verdict.ts';
import { countRequests, createGitHub } from '../src/github/client.ts';
import activity from './fixtures/github/activity.json' with { type: 'json' };
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import { answerActivity } from './support/activity.ts';
import {
  deployedCommitAnswer,
  isDeployedCommitQuery,
  type RestPull,
  UNRESOLVED,
} from './support/associated-pulls.ts';
import {
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
  onePage,
  replyApprovers,
} from './support/github-answers.ts';
import { offline } from './support/offline.ts';

/**
 * A deployed commit's pull request comes with its facts in one GraphQL answer when that
 * answer is unambiguous, and the long way (REST's list, then the pull request by number)
 * otherwise. Both ways must reach the same verdict, and the quick one must never approve
 * what the long one would not.
 */

const API = 'https://api.github.test';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const OTHER = 'f00dfeed00000000000000000000000000000000';
const merged = commitPulls[0] as RestPull;

offline();
answerActivity(API, activity);

let octokit: Octokit;
beforeAll(async () => {
  octokit = await createGitHub({ token: 'ghp_deployed', baseUrl: API, retries: false });
});

/** The recorded pull request #42 (approved by bob and carol), on the base the REST list names. */
function pullRequestOn(pulls: readonly RestPull[]) {
  const answer = structuredClone(pullRequest);
  const first = pulls[0];
  if (first) answer.data.repository.pullRequest.baseRefName = first.base.ref;
  return answer;
}

function answerApprovers() {
  nock(API)
    .post('/graphql', isApproversQuery)
    .optionally()
    .reply(
      replyApprovers({
        pullRequest: null,
        permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
        teams: { 'acme/sre': ['carol'] },
      }),
    );
}

/**
 * GitHub's long way: REST's list of the commit's pull requests and the pull request by
 * number. `asked` counts the REST lists read, which only the long way reads.
 */
function answerLongWay(pulls: readonly RestPull[]) {
  const asked = { rest: 0 };
  nock(API)
    .get(/\/repos\/acme\/shop\/commits\/[0-9a-f]{40}\/pulls/)
    .query(true)
    .optionally()
    .reply(() => {
      asked.rest += 1;
      return [200, pulls];
    })
    .post('/graphql', isPullRequestQuery)
    .optionally()
    .reply(200, pullRequestOn(pulls));
  return asked;
}

/** GitHub answering the deployed commit query with `answer` (status 200 unless given). */
function answerDeployedQuery(answer: unknown, status = 200, headers: Record<string, string> = {}) {
  return nock(API)
    .post('/graphql', isDeployedCommitQuery)
    .reply(status, answer as nock.Body, headers);
}

const deploy = (sha: string) => ({ owner: 'acme', repo: 'shop', sha });
const policyWith = (protectedBranches: string[] = []) => ApprovalSpec.parse({ protectedBranches });

/** The parts of a verdict a user reads: outcome, reasons, who counted and who did not. */
const gist = (v: ApprovalVerdict) => ({
  outcome: v.outcome,
  reasons: v.reasons,
  counted: v.counted.map((c) => c.login),
  notCounted: v.notCounted.map((n) => `${n.login}: ${n.reason}`),
  evidence: v.evidence,
});

describe('the common case', () => {
  it('approves the merge commit of an approved pull request in 3 requests', async () => {
    answerDeployedQuery(deployedCommitAnswer(MERGE, [merged], pullRequest));
    answerApprovers();
    const asked = answerLongWay([merged]);
    const counter = countRequests(octokit);
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(verdict.outcome).toBe('approved');
    expect(verdict.counted.map((c) => c.login).sort()).toEqual(['bob', 'carol']);
    expect(verdict.evidence).toMatchObject({ pullRequest: 42, deploySha: MERGE });
    // The commit with its pull request's facts, the branch's pushes, the reviewers' standing.
    expect(counter.count).toBe(3);
    expect(asked.rest).toBe(0);
  });

  it('asks GitHub for the commit by its object id, reading one pull request in full', () => {
    expect(DEPLOYED_COMMIT_QUERY).toMatch(/\$sha: GitObjectID!/);
    expect(DEPLOYED_COMMIT_QUERY).toMatch(/object\(oid: \$sha\)/);
    expect(DEPLOYED_COMMIT_QUERY).toMatch(/associatedPullRequests\(first: 1\)/);
    expect(DEPLOYED_COMMIT_QUERY).toMatch(/defaultBranchRef \{ name \}/);
  });

  it('follows a list past 100 by the pull request number it learned', async () => {
    const answer = deployedCommitAnswer(MERGE, [merged], pullRequest);
    const node = firstNode(answer);
    const reviews = pullRequest.data.repository.pullRequest.reviews.nodes;
    node.reviews = {
      totalCount: reviews.length,
      pageInfo: { hasNextPage: true, endCursor: 'Y3Vyc29yOjE=' },
      nodes: reviews.slice(0, 1),
    };
    answerDeployedQuery(answer);
    answerApprovers();
    const page = nock(API)
      .post(
        '/graphql',
        (b: GraphqlBody) =>
          b.query.includes('vaktPullRequestPage') &&
          b.query.includes('reviews(first: 100, after') &&
          b.variables.number === 42 &&
          b.variables.cursor === 'Y3Vyc29yOjE=',
      )
      .reply(200, {
        data: { repository: { pullRequest: { reviews: onePage(reviews.slice(1)) } } },
      });
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(page.isDone()).toBe(true);
    expect(verdict.outcome).toBe('approved');
    expect(verdict.counted.map((c) => c.login).sort()).toEqual(['bob', 'carol']);
  });
});

const moved = (ref: string): RestPull => ({ ...merged, base: { ...merged.base, ref } });
const open: RestPull = {
  ...merged,
  state: 'open',
  merged_at: null,
  merge_commit_sha: null,
  head: { sha: MERGE },
};
const closed: RestPull = { ...open, state: 'closed' };

const SCENARIOS: {
  name: string;
  sha: string;
  pulls: RestPull[];
  branches?: string[];
  outcome: ApprovalVerdict['outcome'];
  says: RegExp;
}[] = [
  {
    name: 'the merge commit (control)',
    sha: MERGE,
    pulls: [merged],
    outcome: 'approved',
    says: /^$/,
  },
  {
    name: 'merged into one of several protected branches',
    sha: MERGE,
    pulls: [moved('release/1')],
    branches: ['main', 'release/1'],
    outcome: 'approved',
    says: /^$/,
  },
  { name: 'a direct push', sha: MERGE, pulls: [], outcome: 'denied', says: /pushed directly/ },
  {
    name: 'only in an open pull request',
    sha: MERGE,
    pulls: [open],
    outcome: 'denied',
    says: /only in open pull request #42/,
  },
  {
    name: 'merged into a branch that is not protected',
    sha: MERGE,
    pulls: [moved('release-test')],
    outcome: 'denied',
    says: /merged into release-test, not a protected branch \(main\)/,
  },
  {
    name: 'the head of the pull request, not its merge commit',
    sha: HEAD,
    pulls: [merged],
    outcome: 'denied',
    says: /head of pull request #42, not its merge commit/,
  },
  {
    name: 'two merged pull requests with that merge commit',
    sha: MERGE,
    pulls: [merged, { ...merged, number: 43 }],
    outcome: 'denied',
    says: /more than one merged pull request \(#42, #43\)/,
  },
  {
    name: 'a closed, unmerged pull request',
    sha: MERGE,
    pulls: [closed],
    outcome: 'denied',
    says: /no merged pull request into main has merge commit 4b825dc/,
  },
];

describe('the quick way and the long way reach the same verdict', () => {
  it.each(SCENARIOS)('$name', async ({ sha, pulls, branches, outcome, says }) => {
    const policy = policyWith(branches);
    const run = async (quick: boolean) => {
      answerDeployedQuery(
        quick ? deployedCommitAnswer(sha, pulls, pullRequestOn(pulls)) : UNRESOLVED,
      );
      answerApprovers();
      const asked = answerLongWay(pulls);
      const verdict = await decide(octokit, policy, deploy(sha));
      nock.cleanAll();
      answerActivityAgain();
      return { verdict, asked };
    };
    const quick = await run(true);
    const long = await run(false);
    expect(gist(quick.verdict)).toEqual(gist(long.verdict));
    expect(quick.verdict.outcome).toBe(outcome);
    expect(quick.verdict.reasons.join('\n')).toMatch(says);
    // Only the one clear case skips the REST list; every other case reads it, as before.
    expect(quick.asked.rest).toBe(outcome === 'approved' ? 0 : 1);
    expect(long.asked.rest).toBe(1);
  });
});

/** answerActivity's answer, again after a cleanAll in the middle of a test. */
function answerActivityAgain() {
  nock(API).persist().get('/repos/acme/shop/activity').query(true).reply(200, activity);
}

/** The common case's answer, changed by `change`. */
function brokenAnswer(change: (answer: ReturnType<typeof deployedCommitAnswer>) => unknown) {
  const answer = deployedCommitAnswer(MERGE, [merged], pullRequest);
  return change(answer) ?? answer;
}
type Answer = ReturnType<typeof deployedCommitAnswer>;
const firstNode = (a: Answer) =>
  a.data.repository.object.associatedPullRequests.nodes[0] as Record<string, unknown>;

const UNSETTLED: [name: string, answer: () => void][] = [
  ['a GitHub without the field', () => answerDeployedQuery(UNRESOLVED)],
  ['a 502', () => answerDeployedQuery({ message: 'Bad Gateway' }, 502)],
  [
    'an error beside partial data',
    () =>
      answerDeployedQuery({
        data: {
          repository: {
            defaultBranchRef: { name: 'main' },
            object: { __typename: 'Commit', oid: MERGE, associatedPullRequests: null },
          },
        },
        errors: [
          { type: 'SERVICE_UNAVAILABLE', path: ['repository', 'object'], message: 'timeout' },
        ],
      }),
  ],
  [
    'associatedPullRequests null without an error',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          (a.data.repository.object as { associatedPullRequests: unknown }).associatedPullRequests =
            null;
        }),
      ),
  ],
  [
    'no such object',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          (a.data.repository as { object: unknown }).object = null;
        }),
      ),
  ],
  [
    'an object that is not a commit',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          (a.data.repository as { object: unknown }).object = { __typename: 'Tree' };
        }),
      ),
  ],
  [
    'a pull request missing its reviews',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          delete firstNode(a).reviews;
        }),
      ),
  ],
  [
    'no default branch and no protected branches named',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          (a.data.repository as { defaultBranchRef: unknown }).defaultBranchRef = null;
        }),
      ),
  ],
  [
    'a count of one with no pull request listed',
    () =>
      answerDeployedQuery(
        brokenAnswer((a) => {
          a.data.repository.object.associatedPullRequests.nodes = [];
        }),
      ),
  ],
  ['not JSON', () => answerDeployedQuery('{"data": {"repository": {', 200)],
];

describe('an answer that does not settle it goes the long way', () => {
  it.each(UNSETTLED)('%s: the long way approves what it approves', async (_name, answer) => {
    answer();
    answerApprovers();
    const asked = answerLongWay([merged]);
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(asked.rest).toBe(1);
    expect(verdict.outcome).toBe('approved');
  });

  it.each(UNSETTLED)('%s: the long way denies what it denies', async (_name, answer) => {
    answer();
    answerApprovers();
    const asked = answerLongWay([]);
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(asked.rest).toBe(1);
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons.join('\n')).toMatch(/pushed directly/);
  });

  it('fails closed on a rate limit, without asking again the long way', async () => {
    answerDeployedQuery({ message: 'API rate limit exceeded' }, 403, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1893456000',
    });
    const asked = answerLongWay([merged]);
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons.join('\n')).toMatch(
      /could not read the pull request of commit 4b825dc\w+: GitHub rate limit exhausted until/,
    );
    expect(asked.rest).toBe(0);
  });
});

const CLAIMS: [name: string, change: (a: Answer) => void][] = [
  [
    'a merge commit other than the deployed one',
    (a) => {
      firstNode(a).mergeCommit = { oid: OTHER, signature: null };
    },
  ],
  [
    'a pull request of another repository',
    (a) => {
      firstNode(a).baseRepository = { nameWithOwner: 'mallory/shop' };
    },
  ],
  [
    'another commit than the one asked for',
    (a) => {
      a.data.repository.object.oid = OTHER;
    },
  ],
  [
    'a pull request still open',
    (a) => {
      firstNode(a).state = 'OPEN';
    },
  ],
  [
    'a base branch that is not protected',
    (a) => {
      firstNode(a).baseRefName = 'mallory-branch';
    },
  ],
];

describe('a GraphQL answer that contradicts the deployed commit is not believed', () => {
  it.each(CLAIMS)('%s: the long way decides', async (_name, change) => {
    answerDeployedQuery(brokenAnswer(change));
    answerApprovers();
    // The truth: no pull request contains the commit.
    const asked = answerLongWay([]);
    const verdict = await decide(octokit, policyWith(), deploy(MERGE));
    expect(asked.rest).toBe(1);
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons.join('\n')).toMatch(/pushed directly/);
  });
});
