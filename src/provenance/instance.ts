/**
 * Which GitHub an attestation must come from, worked out from the REST API root vakt
 * already reaches GitHub through (GITHUB_API_URL, the chart's github.apiUrl), never from
 * a bundle, a template or a policy: whoever can write those must not be able to pick
 * the issuer their certificate is checked against.
 *
 * Where each form comes from:
 * - github.com: API https://api.github.com; OIDC issuer
 *   https://token.actions.githubusercontent.com and certificate URIs
 *   https://github.com/OWNER/REPO/... (GitHub CLI, pkg/cmd/attestation/verification:
 *   GitHubOIDCIssuer; Fulcio's github-workflow templates "{{ .url }}/{{ .job_workflow_ref }}"
 *   with url defaulting to https://github.com, fulcio config/identity/config.yaml).
 * - GitHub Enterprise Cloud with data residency (TENANT.ghe.com): API
 *   https://api.TENANT.ghe.com (GitHub CLI, internal/ghinstance RESTPrefix for tenancy);
 *   issuer https://token.actions.TENANT.ghe.com and URIs https://TENANT.ghe.com/OWNER/REPO/...
 *   (GitHub CLI, GitHubTenantOIDCIssuer and expandToGitHubURL in
 *   pkg/cmd/attestation/verify/policy.go).
 * - GitHub Enterprise Server (HOST): API https://HOST/api/v3 (GitHub CLI, RESTPrefix for
 *   enterprise hosts; GITHUB_API_URL on a GHES runner); issuer https://HOST/_services/token
 *   (GitHub docs, "About security hardening with OpenID Connect", the `iss` claim on GHES).
 *   The URIs https://HOST/OWNER/REPO/... follow Fulcio's "{{ .url }}/..." templates with
 *   the instance's own URL; GitHub publishes no GHES example of them, and `gh attestation`
 *   itself refuses GHES hosts, so this form is the one Fulcio's templates give, not one
 *   seen in a GHES certificate.
 */
export interface GitHubInstance {
  kind: 'github.com' | 'enterprise-server' | 'data-residency';
  /** "github.com", "ghes.example.com", "acme.ghe.com". */
  host: string;
  /** The OIDC issuer Fulcio writes into the certificate (OIDs .1 and .8). */
  issuer: string;
  /** "https://HOST": the start of the SAN and the Source Repository URI. */
  webUrl: string;
}

export const GITHUB_COM: GitHubInstance = {
  kind: 'github.com',
  host: 'github.com',
  issuer: 'https://token.actions.githubusercontent.com',
  webUrl: 'https://github.com',
};

export type InstanceResult = { ok: true; instance: GitHubInstance } | { ok: false; reason: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * The URL as it may be shown: a password or token in it never reaches a verdict or log.
 * A value that does not parse has no parts to mask (it may be a token set in the wrong
 * variable, or a URL whose credentials broke it), so none of it is shown.
 */
function shown(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return `(${apiUrl.length} characters, not shown)`;
  }
  if (url.username || url.password) [url.username, url.password] = ['***', ''];
  url.search = url.search && '?***';
  url.hash = url.hash && '#***';
  return JSON.stringify(url.href);
}

/** Pure: the instance an API root belongs to, or why it names none vakt knows. */
export function githubInstance(apiUrl: string): InstanceResult {
  const refuse = (why: string): InstanceResult => ({
    ok: false,
    reason:
      `cannot tell which GitHub signs attestations from the API URL ${shown(apiUrl)}: ${why}; ` +
      'expected https://api.github.com, https://HOST/api/v3 (GitHub Enterprise Server) or https://api.TENANT.ghe.com (data residency)',
  });
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return refuse('not a URL');
  }
  if (url.username || url.password || url.search || url.hash) {
    return refuse('it carries credentials, a query or a fragment');
  }
  const host = url.host.toLowerCase();
  const path = url.pathname.replace(/\/+$/, '');
  const isGitHubCom = host === 'github.com' || host.endsWith('.github.com');
  const isTenancy = host === 'ghe.com' || host.endsWith('.ghe.com');
  if (host === 'api.github.com' && path === '') return { ok: true, instance: GITHUB_COM };
  if (isTenancy) {
    const tenant = /^api\.([^.]+)\.ghe\.com$/.exec(host)?.[1];
    if (tenant === undefined || !LABEL.test(tenant) || path !== '') {
      return refuse('a ghe.com API root is https://api.TENANT.ghe.com');
    }
    return {
      ok: true,
      instance: {
        kind: 'data-residency',
        host: `${tenant}.ghe.com`,
        issuer: `https://token.actions.${tenant}.ghe.com`,
        webUrl: `https://${tenant}.ghe.com`,
      },
    };
  }
  if (isGitHubCom) return refuse("github.com's API root is https://api.github.com");
  if (path === '/api/v3') {
    return {
      ok: true,
      instance: {
        kind: 'enterprise-server',
        host,
        issuer: `https://${host}/_services/token`,
        webUrl: `https://${host}`,
      },
    };
  }
  // Any other root is taken as a stand-in for api.github.com: a proxy or API gateway in
  // front of it, or a GitHub emulator, so github.com's identities are expected. That is
  // wrong for an Enterprise Server reached through such a root: whoever owns the same
  // owner/repo on github.com could then sign for it. Enterprise Server is recognised only
  // by its own /api/v3 root (documented).
  return { ok: true, instance: GITHUB_COM };
}

/** For reasons: "github.com", "GitHub Enterprise Server ghes.example.com". */
export function describeInstance(instance: GitHubInstance): string {
  switch (instance.kind) {
    case 'github.com':
      return 'github.com';
    case 'enterprise-server':
      return `GitHub Enterprise Server ${instance.host}`;
    case 'data-residency':
      return `GitHub Enterprise Cloud ${instance.host}`;
  }
}
