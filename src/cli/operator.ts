import { DEFAULT_SERVICE_URL_TEMPLATE } from '../operator/service-url.ts';
import type { Command } from './command.ts';

const HELP = `vakt operator: the Kubernetes operator for ReleaseGuards

Watches ReleaseGuard resources (vakt.dev/v1alpha1) and guards their Deployments: a new
pod template is a release that needs two-person approval (checked against GitHub), then
runs as a canary behind <name>-canary under cross-tenant probes; the first leak scales it
to zero, a passing release is promoted to <name>-stable. Logs are JSON on stderr.

Usage:
  vakt operator [options]

Options:
  --namespace NS[,NS...]      watch these namespaces (default: all)
  --platform-config NS/NAME   ConfigMap with the admin's floors and allow-lists (key
                              platform.yaml; default <own namespace>/vakt-platform). Read
                              again every 10 s; missing or malformed: every guard Invalid
  --admission-policies N[,N...]
                              the ValidatingAdmissionPolicies the chart installed (each
                              with a binding of the same name). Read again every 60 s;
                              condition AdmissionPolicies on every guard and metric
                              vakt_admission_policies_enforced say whether they are in
                              force. Without it: NotConfigured (edits to what vakt owns
                              are only repaired after the fact)
  --kubeconfig FILE           cluster configuration (default: in-cluster service account,
                              then KUBECONFIG, then ~/.kube/config)
  --leader-elect              elect a leader on a Lease so only one replica acts
                              (default: on in a cluster, off outside)
  --no-leader-elect           act at once, without a Lease
  --lease-namespace NS        namespace of the Lease (default: the operator's own)
  --lease-name NAME           name of the Lease (default vakt-operator)
  --github-secret NAME        Secret in the operator's namespace with GitHub credentials:
                              key token, or keys app-id, private-key, installation-id.
                              Without it every release stays Blocked (fail closed).
  --trusted-root FILE         the Sigstore trusted root(s) image attestations must chain
                              to, as \`gh attestation trusted-root\` prints them (JSON or
                              JSON Lines); default the public-good root shipped with vakt.
                              Used for policies with approval.provenance
  --notifications FILE        sinks (Slack, Teams, JSON webhook) told of Reverted,
                              RolledBack, LeakOnStable, Blocked, Promoted and Baked; each
                              names a file holding its webhook URL (a mounted Secret key,
                              read afresh for each notification); see
                              docs/operator-notifications.md
  --seal-key-file FILE        the key (at least 32 bytes) that seals the rejection marks
                              the operator writes on Deployments; a mark without a valid
                              seal rejects nothing. Without it marks are trusted as written
  --seal-previous-key-file FILE
                              the key before a rotation: its seals still verify (used
                              when the file exists)
  --service-url-template T    how probes reach the Services vakt creates
                              (default ${DEFAULT_SERVICE_URL_TEMPLATE})
  --metrics-port N            port of /metrics (default 8080)
  --health-port N             port of /healthz and /readyz (default 8081)
  --log-level LEVEL           trace, debug, info, warn or error (default info)
  -h, --help                  this text

Environment:
  GITHUB_API_URL   REST API root, for GitHub Enterprise Server (https://HOST/api/v3) or
                   ghe.com (https://api.TENANT.ghe.com); attestations must then be signed
                   by that instance's workflows, against the root of --trusted-root
  POD_NAMESPACE    the operator's namespace (default: read from the service account)
  LOG_LEVEL        the log level when --log-level is not given

Touch the annotation vakt.dev/recheck-approval on a ReleaseGuard (any new value) to
have the operator ask GitHub again at once instead of within a minute.

Example:
  vakt operator --namespace shop --github-secret vakt-github \\
    --service-url-template 'http://{name}.{namespace}.svc.cluster.local:{port}'
`;

export const operatorCommand: Command = {
  name: 'operator',
  help: HELP,
  // The operator pulls in the Kubernetes client, seconds to load: only when it runs.
  run: async (argv, io) => (await import('./operator-run.ts')).runOperatorCommand(argv, io),
};
