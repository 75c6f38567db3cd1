import { createHash } from 'node:crypto';
import type { Octokit } from 'octokit';
import { decide as gate } from '../approval/decide.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { createGitHub, type GitHubOptions } from '../github/client.ts';
import type { GitHubObserver } from '../github/observe.ts';
import type { Logger } from '../log.ts';
import { loadTrustRoots, type TrustRoot } from '../provenance/trust-roots.ts';
import type { Action, ApprovalReport } from '../release/state.ts';
import type { Cluster, GuardRef } from './ports.ts';
import { commitFromProvenance, provenanceSetup } from './provenance-check.ts';
import { describeError as describe, guardKey } from './refs.ts';

/**
 * Asks the two-person gate about a candidate's commit, against GitHub itself, and posts
 * commit statuses. Both run beside the work queue: an answer comes back as an
 * ApprovalReport, and a failed status is logged, never thrown.
 */

export interface GitHubSource {
  /** Secret with `token`, or `app-id`, `private-key` and `installation-id`. */
  secret?: { namespace: string; name: string };
  /** REST API root (GitHub Enterprise Server); default GITHUB_API_URL or api.github.com. */
  baseUrl?: string;
  /** Builds the octokit; tests point it at nock. */
  createOctokit?: (options: GitHubOptions) => Promise<Octokit>;
  /** Roots attestations must chain to (`--trusted-root`); default the shipped public-good root. */
  trustRoots?: TrustRoot[];
}

type CheckApproval = Extract<Action, { kind: 'checkApproval' }>;
type PostCommitStatus = Extract<Action, { kind: 'postCommitStatus' }>;

export interface ApprovalCheckerOptions {
  cluster: Cluster;
  github?: GitHubSource;
  log: Logger;
  report: (ref: GuardRef, report: ApprovalReport) => void;
  /** Told of every GitHub answer and rate limit (the operator's metrics). */
  observer?: GitHubObserver;
}

export class ApprovalChecker {
  private readonly options: ApprovalCheckerOptions;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Statuses of one guard go out in order: pending must not overtake success. */
  private readonly chains = new Map<string, Promise<void>>();
  private client: { fingerprint: string; octokit: Octokit } | undefined;
  private shippedRoots: Promise<TrustRoot[]> | undefined;
  private stopped = false;

  constructor(options: ApprovalCheckerOptions) {
    this.options = options;
  }

  check(ref: GuardRef, action: CheckApproval, policy: ApprovalPolicy | undefined): void {
    if (this.stopped) return;
    const key = `${guardKey(ref)} ${action.templateHash} ${action.revision} ${action.policyDigest ?? ''}`;
    if (this.inFlight.has(key)) return;
    const work = (async () => {
      const { verdict, warnings } = await this.verdict(action, policy);
      this.options.log.info(
        {
          guard: guardKey(ref),
          revision: action.revision,
          outcome: verdict.outcome,
          counted: verdict.counted.map((c) => c.login),
        },
        'two-person gate answered',
      );
      if (this.stopped) return;
      this.options.report(ref, {
        kind: 'approval',
        templateHash: action.templateHash,
        revision: action.revision,
        verdict,
        ...(action.policyDigest !== undefined && { policyDigest: action.policyDigest }),
        ...(warnings.length > 0 && { warnings }),
      });
    })()
      .catch((error) => {
        this.options.log.error(
          { guard: guardKey(ref), err: describe(error) },
          'approval check failed',
        );
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
  }

  postStatus(ref: GuardRef, action: PostCommitStatus): void {
    if (this.stopped) return;
    const key = guardKey(ref);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.post(ref, action));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Waits for the checks and statuses under way; new ones are refused after stop(). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inFlight.values(), ...this.chains.values()]);
  }

  /** Resolves once nothing is under way (for tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size + this.chains.size > 0) {
      await Promise.allSettled([...this.inFlight.values(), ...this.chains.values()]);
    }
  }

  /**
   * The gate's answer about the commit the candidate's images were built from (or, with
   * provenance off, the one its revision names, said as a warning). The report keeps
   * `action.revision`: decide() matches answers to the candidate by it.
   */
  private async verdict(
    action: CheckApproval,
    policy: ApprovalPolicy | undefined,
  ): Promise<{ verdict: ApprovalVerdict; warnings: string[] }> {
    const [owner = '', repo = ''] = action.repository.split('/');
    if (!policy) {
      const reason =
        'the policy has no approval section: the operator will not release without two-person rules';
      return { verdict: closed('denied', reason, action), warnings: [] };
    }
    const setup = provenanceSetup(policy, action);
    if ('ok' in setup && !setup.ok) {
      return { verdict: closed(setup.outcome, setup.reasons, action), warnings: [] };
    }
    // Under `off` every verdict says so, even one reached without GitHub.
    const early = 'ok' in setup ? setup.warnings : [];
    const github = await this.octokit();
    if ('problem' in github) {
      return { verdict: closed('undecided', github.problem, action), warnings: early };
    }
    const roots = await this.trustRoots();
    const choice = await commitFromProvenance(github.octokit, policy, action, roots);
    if (!choice.ok)
      return { verdict: closed(choice.outcome, choice.reasons, action), warnings: [] };
    const verdict = await gate(github.octokit, policy, { owner, repo, sha: choice.sha });
    return { verdict, warnings: choice.warnings };
  }

  /** The administrator's roots, or the shipped ones (read once). */
  private trustRoots(): Promise<TrustRoot[]> {
    const given = this.options.github?.trustRoots;
    if (given) return Promise.resolve(given);
    this.shippedRoots ??= loadTrustRoots();
    return this.shippedRoots;
  }

  private async post(ref: GuardRef, action: PostCommitStatus): Promise<void> {
    const log = this.options.log.child({
      guard: guardKey(ref),
      sha: action.sha,
      context: action.context,
    });
    const github = await this.octokit().catch((error) => ({ problem: describe(error) }));
    if ('problem' in github) {
      log.warn({ reason: github.problem }, 'commit status not posted');
      return;
    }
    const [owner = '', repo = ''] = action.repository.split('/');
    try {
      await github.octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner,
        repo,
        sha: action.sha,
        state: action.state,
        context: action.context,
        description: action.description,
      });
      log.info({ state: action.state }, 'commit status posted');
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const reason = typeof status === 'number' ? `GitHub answered ${status}` : describe(error);
      log.warn({ reason }, 'commit status not posted');
    }
  }

  /**
   * An octokit from the GitHub Secret, read afresh each time so a rotated credential is
   * used at once; the client is kept while the Secret's content stays the same.
   */
  private async octokit(): Promise<{ octokit: Octokit } | { problem: string }> {
    const source = this.options.github;
    const ref = source?.secret;
    if (!source || !ref) {
      return { problem: 'no GitHub credentials: start the operator with --github-secret NAME' };
    }
    let data: Record<string, string> | null;
    try {
      data = await this.options.cluster.readSecret(ref.namespace, ref.name);
    } catch (error) {
      return { problem: `could not read Secret ${ref.namespace}/${ref.name}: ${describe(error)}` };
    }
    if (!data) return { problem: `Secret ${ref.namespace}/${ref.name} not found` };
    const credentials = credentialsFrom(data, `${ref.namespace}/${ref.name}`);
    if ('problem' in credentials) return credentials;
    const options: GitHubOptions = {
      ...credentials,
      ...(source.baseUrl && { baseUrl: source.baseUrl }),
    };
    const fingerprint = createHash('sha256').update(JSON.stringify(options)).digest('hex');
    if (this.client?.fingerprint === fingerprint) return { octokit: this.client.octokit };
    const observer = this.options.observer;
    try {
      const octokit = await (source.createOctokit ?? createGitHub)({
        ...options,
        ...(observer && { observer }),
      });
      this.client = { fingerprint, octokit };
      return { octokit };
    } catch (error) {
      return { problem: `could not authenticate to GitHub: ${describe(error)}` };
    }
  }
}

function credentialsFrom(
  data: Record<string, string>,
  where: string,
): Pick<GitHubOptions, 'token' | 'app'> | { problem: string } {
  const token = data.token?.trim();
  if (token) return { token };
  const appId = data['app-id']?.trim();
  const privateKey = data['private-key'];
  const installation = data['installation-id']?.trim();
  if (appId && privateKey && installation) {
    if (!/^[1-9][0-9]*$/.test(appId) || !/^[1-9][0-9]*$/.test(installation)) {
      return { problem: `Secret ${where}: app-id and installation-id must be numbers` };
    }
    return { app: { appId, privateKey, installationId: Number(installation) } };
  }
  return {
    problem: `Secret ${where} has neither a token key nor app-id, private-key and installation-id`,
  };
}

/** A verdict reached without asking GitHub: fail closed, saying why. */
function closed(
  outcome: 'denied' | 'undecided',
  reason: string | string[],
  action: CheckApproval,
): ApprovalVerdict {
  return {
    outcome,
    reasons: typeof reason === 'string' ? [reason] : reason,
    counted: [],
    notCounted: [],
    missing: [],
    required: { approvals: 0, teams: [] },
    evidence: {
      repository: action.repository,
      pullRequest: 0,
      baseRef: '',
      headSha: '',
      deploySha: action.revision,
    },
  };
}
