import { createHmac, randomUUID } from 'node:crypto';

/**
 * Webhook deliveries shaped as GitHub sends them to an App (fields as GitHub's webhook
 * docs list them, trimmed of links the App never reads), and signed as GitHub signs
 * them: X-Hub-Signature-256 is "sha256=" and the HMAC-SHA256 of the raw body, in hex.
 */

export const INSTALLATION_ID = 77;
export const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
export const BASE = '1d3f5a7b9c0e2f4a6b8c0d1e3f5a7b9c1d3e5f70';
export const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const HEAD_REF = 'cart-cache-per-tenant';
export const REPOSITORY_ID = 654311828;

export function account(login: string, id: number, type: 'User' | 'Organization' | 'Bot' = 'User') {
  return {
    login,
    id,
    node_id: type === 'Organization' ? 'O_kgDOAAAmvw' : `U_kgDOA${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export const ACME = account('acme', 9919, 'Organization');

export function repository() {
  return {
    id: REPOSITORY_ID,
    node_id: 'R_kgDOJv_ClA',
    name: 'shop',
    full_name: 'acme/shop',
    private: true,
    owner: ACME,
    html_url: 'https://github.com/acme/shop',
    description: 'The sample multi-tenant shop',
    fork: false,
    url: 'https://api.github.com/repos/acme/shop',
    created_at: '2025-06-01T09:12:44Z',
    updated_at: '2026-11-02T10:15:48Z',
    pushed_at: '2026-11-02T10:15:47Z',
    default_branch: 'main',
    visibility: 'private',
  };
}

const installation = () => ({
  id: INSTALLATION_ID,
  node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=',
});

export function pullRequest(o: { head?: string; base?: string; number?: number } = {}) {
  const number = o.number ?? 42;
  const branch = (ref: string, sha: string) => ({
    label: `acme:${ref}`,
    ref,
    sha,
    user: ACME,
    repo: repository(),
  });
  return {
    url: `https://api.github.com/repos/acme/shop/pulls/${number}`,
    id: 2145736051,
    node_id: 'PR_kwDOJk3vlM5_5Xhz',
    html_url: `https://github.com/acme/shop/pull/${number}`,
    number,
    state: 'open',
    locked: false,
    title: 'Cache cart totals per tenant',
    user: account('alice', 4417021),
    body: 'Keys now include the tenant id. Secret sauce: do not log me.',
    created_at: '2026-11-01T16:40:22Z',
    updated_at: '2026-11-02T10:01:13Z',
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    draft: false,
    head: branch(HEAD_REF, o.head ?? HEAD),
    base: branch(o.base ?? 'main', BASE),
    author_association: 'MEMBER',
  };
}

export function pullRequestEvent(action: string, o: { head?: string; base?: string } = {}) {
  return {
    action,
    number: 42,
    pull_request: pullRequest(o),
    repository: repository(),
    organization: { login: 'acme', id: 9919, node_id: 'O_kgDOAAAmvw' },
    sender: account('alice', 4417021),
    installation: installation(),
  };
}

export function reviewEvent(o: { reviewer?: string; state?: string; head?: string } = {}) {
  const reviewer = o.reviewer ?? 'carol';
  return {
    action: 'submitted',
    review: {
      id: 2398714523,
      node_id: 'PRR_kwDOJk3vlM6O-xyz',
      user: account(reviewer, 7340013),
      body: 'Looks right to me.',
      commit_id: o.head ?? HEAD,
      submitted_at: '2026-11-02T10:12:09Z',
      state: o.state ?? 'approved',
      html_url: 'https://github.com/acme/shop/pull/42#pullrequestreview-2398714523',
      pull_request_url: 'https://api.github.com/repos/acme/shop/pulls/42',
      author_association: 'MEMBER',
    },
    pull_request: pullRequest(o),
    repository: repository(),
    organization: { login: 'acme', id: 9919, node_id: 'O_kgDOAAAmvw' },
    sender: account(reviewer, 7340013),
    installation: installation(),
  };
}

/** A pull request as check suites list them: numbers and refs only. */
function listedPullRequest(head = HEAD) {
  const side = (ref: string, sha: string) => ({
    ref,
    sha,
    repo: { id: REPOSITORY_ID, url: 'https://api.github.com/repos/acme/shop', name: 'shop' },
  });
  return {
    url: 'https://api.github.com/repos/acme/shop/pulls/42',
    id: 2145736051,
    number: 42,
    head: side(HEAD_REF, head),
    base: side('main', BASE),
  };
}

export function checkSuiteEvent(action = 'requested') {
  return {
    action,
    check_suite: {
      id: 31417923884,
      node_id: 'CS_kwDOJv_ClM8AAAAHUJ8uLA',
      head_branch: HEAD_REF,
      head_sha: HEAD,
      status: 'queued',
      conclusion: null,
      url: 'https://api.github.com/repos/acme/shop/check-suites/31417923884',
      before: 'e83c5163316f89bfbde7d9ab23ca2e25604af290',
      after: HEAD,
      pull_requests: [listedPullRequest()],
      app: { id: 1234, slug: 'vakt', name: 'vakt' },
      created_at: '2026-11-02T10:01:14Z',
      updated_at: '2026-11-02T10:01:14Z',
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: 1,
      head_commit: {
        id: HEAD,
        tree_id: 'd6fde92930d4715a2b49857d24b940956b26d2d3',
        message: 'Cache cart totals per tenant',
        timestamp: '2026-11-02T10:01:00Z',
        author: { name: 'Alice Andersson', email: 'alice@acme.example' },
        committer: { name: 'Alice Andersson', email: 'alice@acme.example' },
      },
    },
    repository: repository(),
    organization: { login: 'acme', id: 9919, node_id: 'O_kgDOAAAmvw' },
    sender: account('alice', 4417021),
    installation: installation(),
  };
}

export const RUN_ID = 11872390045;

export function protectionRuleEvent(
  o: { sha?: string; environment?: string; payload?: unknown; callback?: string } = {},
) {
  const environment = o.environment ?? 'production';
  return {
    action: 'requested',
    environment,
    event: 'push',
    deployment_callback_url:
      o.callback ??
      `https://api.github.com/repos/acme/shop/actions/runs/${RUN_ID}/deployment_protection_rule`,
    deployment: {
      url: 'https://api.github.com/repos/acme/shop/deployments/2173915732',
      id: 2173915732,
      node_id: 'DE_kwDOJv_ClM6BkXdU',
      sha: o.sha ?? MERGE,
      ref: 'main',
      task: 'deploy',
      payload: o.payload ?? {},
      original_environment: environment,
      environment,
      description: null,
      creator: account('github-actions[bot]', 41898282, 'Bot'),
      created_at: '2026-11-02T10:16:30Z',
      updated_at: '2026-11-02T10:16:30Z',
      statuses_url: 'https://api.github.com/repos/acme/shop/deployments/2173915732/statuses',
      repository_url: 'https://api.github.com/repos/acme/shop',
      transient_environment: false,
      production_environment: true,
    },
    pull_requests: [],
    repository: repository(),
    organization: { login: 'acme', id: 9919, node_id: 'O_kgDOAAAmvw' },
    sender: account('alice', 4417021),
    installation: installation(),
  };
}

/** The contents API's answer for a file (GitHub wraps base64 at 60 characters). */
export function contentsAnswer(path: string, text: string, ref: string) {
  const content = (
    Buffer.from(text)
      .toString('base64')
      .match(/.{1,60}/g) ?? []
  ).join('\n');
  const url = `https://api.github.com/repos/acme/shop/contents/${path}?ref=${ref}`;
  return {
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(text),
    name: path.split('/').at(-1),
    path,
    content: `${content}\n`,
    sha: '3d21ec53a331a6f037a91c368710b99387d012c1',
    url,
    git_url:
      'https://api.github.com/repos/acme/shop/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1',
    html_url: `https://github.com/acme/shop/blob/${ref}/${path}`,
    download_url: `https://raw.githubusercontent.com/acme/shop/${ref}/${path}`,
    _links: { self: url },
  };
}

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Delivery {
  status: number;
  text: string;
  delivery: string;
}

/** POSTs one delivery as GitHub does; `signature` replaces the right one (null: none). */
export async function deliver(
  url: string,
  event: string,
  payload: unknown,
  options: { secret: string; signature?: string | null; body?: string },
): Promise<Delivery> {
  const body = options.body ?? JSON.stringify(payload);
  const delivery = randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/7d1b3b4',
    'x-github-delivery': delivery,
    'x-github-event': event,
    'x-github-hook-id': '512386214',
    'x-github-hook-installation-target-id': '1234',
    'x-github-hook-installation-target-type': 'integration',
  };
  const signature =
    options.signature === undefined ? sign(body, options.secret) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${url}/webhook`, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text(), delivery };
}
