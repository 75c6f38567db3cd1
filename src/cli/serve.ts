import type { Command } from './command.ts';

const HELP = `vakt serve: Flagger webhooks backed by the two-person gate and the probe

Answers Flagger's webhooks for one Canary. Flagger POSTs {name, namespace, phase,
checksum, metadata} to each webhook URL and goes on only on a 200:

  POST /flagger/confirm-rollout    the two-person gate for the revision in the
  POST /flagger/confirm-promotion  webhook's metadata (sha, or image REF@sha256:D):
                                   200 approved, 403 denied, 503 undecided
  POST /flagger/pre-rollout        probe the canary (before it gets traffic, and at
  POST /flagger/rollout            every analysis step): 200 pass, 422 leak,
                                   503 inconclusive
  GET  /healthz                    200 while the server answers (no token needed)

Every webhook call must carry the token: Authorization: Bearer TOKEN, or (Flagger
cannot send headers) metadata.token. A missing or wrong token is a 401; a payload
that is not JSON or names no canary is a 400; an unknown webhook type or another
Canary is a 404. None of them is ever a 200.

Usage:
  vakt serve --policy FILE --canary NAMESPACE/NAME [--repo OWNER/NAME] [options]

Options:
  --policy FILE         policy with an approval section (the gate hooks), a probe
                        section (the probe hooks), or both (required)
  --canary NS/NAME      the Flagger Canary this server answers for (required): a
                        payload naming another one is refused
  --repo OWNER/NAME     the repository whose pull requests the gate checks
                        (required with an approval section)
  --target URL          the canary to probe, e.g. http://shop-canary.shop
                        (overrides probe.target)
  --requests N, --concurrency N, --duration D
                        override the policy's probe load; keep duration plus
                        load.timeout under the webhook's timeout in the Canary
  --trusted-root FILE   Sigstore trusted root(s) for metadata.image, as vakt gate
  --app-id ID, --app-key FILE, --installation N
                        authenticate to GitHub as an App (as vakt gate)
  --auth-token-file F   the token callers must present (a mounted Secret); or
                        VAKT_SERVE_TOKEN; at least 24 characters
  --port N              port to listen on (default 8080)
  --host ADDR           address to listen on (default 0.0.0.0)
  -h, --help            this text

Environment:
  VAKT_SERVE_TOKEN      the token, when --auth-token-file is not given
  GITHUB_TOKEN, GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID,
  GITHUB_API_URL        as for vakt gate
  the tenants' credentials, as the policy's env references name them

Logs: one JSON line per request (pretty on a terminal) with the hook, canary,
status and time; never the token, the metadata, or a credential.

Example:
  VAKT_SERVE_TOKEN=... GITHUB_TOKEN=... vakt serve --policy policy.yaml \\
    --canary shop/shop --repo acme/shop --target http://shop-canary.shop
`;

export const serveCommand: Command = {
  name: 'serve',
  help: HELP,
  // The server pulls in octokit, the probe and the gate: only when it runs.
  run: async (argv, io) => (await import('./serve-run.ts')).runServeCommand(argv, io),
};
