import { createGitHubApp } from '../github/client.ts';
import type { Logger } from '../log.ts';
import { reviewDeployment } from './deployment-review.ts';
import type { Work } from './events.ts';
import { checkPullRequest } from './pull-request-check.ts';
import { WorkQueue } from './queue.ts';
import { startWebhookServer } from './server.ts';

/**
 * `vakt app`: a GitHub App that keeps the two-person gate's check run current on pull
 * requests and answers custom deployment protection rules. Wires the webhook server to
 * the work queue and the work to GitHub, as one installation or many.
 */

export interface AppSettings {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  /** Where the policy lives in each repository, e.g. .github/vakt-policy.yaml. */
  policyPath: string;
  port: number;
  host: string;
  /** REST API root (GitHub Enterprise Server); default GITHUB_API_URL or api.github.com. */
  baseUrl?: string;
  /** Retry and throttling (off in tests, so failures surface at once). */
  retries?: boolean;
  /** Sigstore trusted root(s) for images' provenance; default the shipped public-good root. */
  trustedRoot?: string;
  log: Logger;
}

export interface RunningApp {
  url: string;
  /** Stops taking webhooks and waits for the work under way. */
  stop(): Promise<void>;
  /** Resolves once no work is queued or running. */
  idle(): Promise<void>;
}

export async function startApp(settings: AppSettings): Promise<RunningApp> {
  const { log } = settings;
  const github = createGitHubApp({
    appId: settings.appId,
    privateKey: settings.privateKey,
    webhookSecret: settings.webhookSecret,
    ...(settings.baseUrl && { baseUrl: settings.baseUrl }),
    ...(settings.retries !== undefined && { retries: settings.retries }),
    log: octokitLog(log),
  });

  const run = async (work: Work) => {
    const repository = `${work.owner}/${work.repo}`;
    const octokit = await github.installation(work.installationId);
    if (work.kind === 'pull-request') {
      const result = await checkPullRequest(octokit, work, settings);
      const { headSha: head, policy, outcome } = result;
      const line = { repository, pullRequest: work.pullNumber, head, policy, outcome };
      logPosted(log, line, result, 'check run posted');
      return;
    }
    const result = await reviewDeployment(octokit, work, settings);
    const { outcome, state } = result;
    const line = {
      repository,
      run: work.runId,
      environment: work.environment,
      sha: work.sha,
      outcome,
      state,
    };
    logPosted(log, line, result, `deployment ${state}`);
  };

  const queue = new WorkQueue<Work>(async (work) => {
    try {
      await run(work);
    } catch (error) {
      // The deciding code does not throw; this is a bug, said once, never an approval.
      const why = error instanceof Error ? error.message : String(error);
      log.error({ repository: `${work.owner}/${work.repo}` }, `work failed: ${why}`);
    }
  });

  const server = await startWebhookServer({
    port: settings.port,
    host: settings.host,
    verify: (body, signature) => github.verify(body, signature),
    accept: (items) => items.every((work) => queue.push(keyOf(work), work)),
    log,
  });
  return {
    url: server.url,
    async stop() {
      await server.close();
      await queue.stop();
    },
    idle: () => queue.idle(),
  };
}

function keyOf(work: Work): string {
  const repository = `${work.owner}/${work.repo}`.toLowerCase();
  return work.kind === 'pull-request'
    ? `${repository}#${work.pullNumber}`
    : `${repository} run ${work.runId} ${work.environment}`;
}

/** One line per piece of work: an error when GitHub did not take what vakt sent it. */
function logPosted(log: Logger, line: object, result: { postFailure?: string }, posted: string) {
  if (result.postFailure) log.error(line, result.postFailure);
  else log.info(line, posted);
}

/** octokit's own warnings (a retried 401 while a new token spreads) as log lines. */
function octokitLog(log: Logger) {
  const child = log.child({ component: 'octokit' });
  return {
    debug: () => {},
    info: () => {},
    warn: (message: string) => child.warn(message),
    error: (message: string) => child.error(message),
  };
}
