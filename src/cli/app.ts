import type { Command } from './command.ts';

const HELP = `vakt app: the two-person gate as a GitHub App

Receives the App's webhooks and, for each pull request event (opened, pushed to,
retargeted, reviewed, a check suite or the check re-run), judges the pull request
again as vakt gate would and posts the check run vakt/two-person on its head commit,
with who counted, who did not and why, and what is missing. The policy is read from
the pull request's base branch, never from its head. The App also answers custom
deployment protection rules (deployment_protection_rule): it approves an
environment's deployment only when the gate approves the deployed commit (and the
image the deployment payload names, by its signed provenance), and rejects it with
the reason otherwise. Logs are JSON on stderr. See docs/github-app.md.

Usage:
  vakt app --app-id ID --app-key FILE --webhook-secret-file FILE [options]

Options:
  --app-id ID                 the GitHub App's id (default: GITHUB_APP_ID)
  --app-key FILE              the App's private key, PEM (default: the PEM itself in
                              GITHUB_APP_PRIVATE_KEY)
  --webhook-secret-file FILE  the App's webhook secret (default: GITHUB_WEBHOOK_SECRET);
                              a webhook without a matching X-Hub-Signature-256 is
                              refused with 401
  --policy-path PATH          where each repository keeps its policy (default
                              .github/vakt-policy.yaml); missing or malformed on the
                              base branch: a failing check that says so
  --port N                    port of POST /webhook, GET /healthz and /readyz (default 8080)
  --host ADDRESS              address to listen on (default 0.0.0.0)
  --trusted-root FILE         Sigstore trusted root(s) image attestations must chain
                              to, as \`gh attestation trusted-root\` prints them;
                              default the public-good root shipped with vakt
  --log-level LEVEL           trace, debug, info, warn or error (default info)
  -h, --help                  this text

Environment:
  GITHUB_API_URL        REST API root, for GitHub Enterprise Server
  LOG_LEVEL             the log level when --log-level is not given
  VAKT_GITHUB_RETRIES   0 turns off retrying failed GitHub requests

Example:
  vakt app --app-id 123456 --app-key /etc/vakt/app/private-key \\
    --webhook-secret-file /etc/vakt/app/webhook-secret
`;

export const appCommand: Command = {
  name: 'app',
  help: HELP,
  // The App pulls in octokit and the gate: only when it runs.
  run: async (argv, io) => (await import('./app-run.ts')).runAppCommand(argv, io),
};
