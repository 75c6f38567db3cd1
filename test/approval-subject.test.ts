import { describe, expect, it } from 'vitest';
import { type PullRequestCandidate, selectPullRequest } from '../src/approval/subject.ts';

const SHA = 'deadbee0000000000000000000000000000000000';
const OTHER = 'f00dfac0000000000000000000000000000000000';

function pr(more: Partial<PullRequestCandidate>): PullRequestCandidate {
  return {
    number: 7,
    baseRef: 'main',
    state: 'MERGED',
    mergeCommitSha: SHA,
    headSha: OTHER,
    ...more,
  };
}

const rows: {
  name: string;
  candidates: PullRequestCandidate[];
  branches?: string[];
  result: { ok: true; number: number } | { ok: false; reason: RegExp };
}[] = [
  { name: 'the good case', candidates: [pr({})], result: { ok: true, number: 7 } },
  {
    name: 'merged into one of several protected branches',
    candidates: [pr({ baseRef: 'release/1' })],
    branches: ['main', 'release/1'],
    result: { ok: true, number: 7 },
  },
  {
    name: 'no pull request: direct push',
    candidates: [],
    result: { ok: false, reason: /no pull request contains deadbee: it was pushed directly/ },
  },
  {
    name: 'only an open pull request',
    candidates: [pr({ state: 'OPEN', mergeCommitSha: undefined, headSha: SHA })],
    result: { ok: false, reason: /only in open pull request #7: not merged/ },
  },
  {
    name: 'merged into another branch',
    candidates: [pr({ baseRef: 'feature-x' })],
    result: { ok: false, reason: /#7 was merged into feature-x, not a protected branch \(main\)/ },
  },
  {
    name: 'head SHA instead of the merge commit',
    candidates: [pr({ mergeCommitSha: OTHER, headSha: SHA })],
    result: { ok: false, reason: /deadbee is the head of pull request #7, not its merge commit/ },
  },
  {
    name: 'two matching pull requests',
    candidates: [pr({}), pr({ number: 8 })],
    result: { ok: false, reason: /more than one merged pull request \(#7, #8\)/ },
  },
  {
    name: 'a closed, unmerged pull request',
    candidates: [pr({ state: 'CLOSED', mergeCommitSha: undefined, headSha: SHA })],
    result: { ok: false, reason: /no merged pull request into main has merge commit deadbee/ },
  },
];

describe('selectPullRequest', () => {
  it.each(rows)('$name', ({ candidates, branches, result }) => {
    const got = selectPullRequest(SHA, candidates, branches ?? ['main']);
    if (result.ok) expect(got).toEqual(result);
    else {
      expect(got.ok).toBe(false);
      expect(got.ok === false && got.reason).toMatch(result.reason);
    }
  });
});
