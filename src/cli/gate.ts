import type { Command } from './command.ts';

const HELP = `vakt gate: two-person approval gate

Decides whether a pull request (or the merge commit being deployed) had enough
qualified, independent approvals under the policy's approval section. Anything that
cannot be read from GitHub makes the answer UNDECIDED, never APPROVED.

Usage:
  vakt gate --policy FILE --repo OWNER/NAME (--pr N | --sha SHA | --image REF@sha256:D) [options]

Options:
  --policy FILE      policy with an approval section (required: the gate has no
                     rules of its own to fall back on)
  --repo OWNER/NAME  the repository (required)
  --pr N             the pull request to check
  --sha SHA          the commit being deployed (7-40 hex digits): it must be the
                     merge commit of a pull request into a protected branch
  --image REF@sha256:D  the image being deployed, pinned by digest: its signed
                     provenance (GitHub artifact attestations, verified against
                     the trusted roots) names the commit the gate then checks, as
                     the policy's approval.provenance requires; with --sha too,
                     both must name the same commit
  --trusted-root FILE  Sigstore trusted root(s) to verify attestations against,
                     instead of the shipped public-good root (JSON, or JSON Lines
                     as \`gh attestation trusted-root\` prints: needed for private
                     repositories, which GitHub's own instance signs, and on GitHub
                     Enterprise Server or ghe.com, whose own instance signs)
  --token T          GitHub token (default: the GITHUB_TOKEN environment variable)
  --app-id ID        authenticate as a GitHub App instead of with a token; needs
  --app-key FILE     the App's private key (PEM) and
  --installation N   the id of its installation on the repository's owner
  --json FILE        write the verdict as JSON, with the number of GitHub requests
                     (- for stdout; the summary then goes to stderr)
  --markdown FILE    write the verdict as Markdown (- for stdout)
  --post-status      set the vakt/two-person commit status on the pull request's head
  -h, --help         this text

Environment:
  GITHUB_TOKEN          token used when --token is not given
  GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY (the PEM itself), GITHUB_APP_INSTALLATION_ID
                        the GitHub App, when its flags are not given
  GITHUB_API_URL        REST API root, for GitHub Enterprise Server (https://HOST/api/v3)
                        or ghe.com (https://api.TENANT.ghe.com); --image then expects
                        attestations signed by that instance's workflows
  VAKT_GITHUB_RETRIES   0 turns off retrying failed GitHub requests

What the token must read: the pull request, its commits, reviews and timeline;
each reviewer's permission, from the repository's collaborators (GitHub documents
metadata: read for a GitHub App or fine-grained token, and the repo and read:org
scopes plus push access for a classic one); and for team rules, the teams' members
(a GitHub App needs members: read, a classic token read:org; the workflow token
cannot read them). A permission or team the token cannot read makes the verdict
UNDECIDED, naming what it could not read.

Exit codes: 0 approved, 1 denied, 2 bad input, 3 undecided (or the status could not
be posted).

Example:
  GITHUB_TOKEN=... vakt gate --policy policies/example.yaml --repo acme/shop \\
    --sha "$GITHUB_SHA" --json gate.json --post-status
`;

export const gateCommand: Command = {
  name: 'gate',
  help: HELP,
  // The gate pulls in octokit and the approval rules: only when it runs.
  run: async (argv, io) => (await import('./gate-run.ts')).runGateCommand(argv, io),
};
