import type { Command } from './command.ts';

const HELP = `vakt probe: cross-tenant canary probe

Sends requests as every test tenant of the policy and checks that each gets its own
identity back, never another's: identity mismatches, other tenants' markers in bodies
and headers, sessions handed to the wrong tenant. Stops at the first leak.

Usage:
  vakt probe --policy FILE [options]

Options:
  --policy FILE        policy with a probe section (required)
  --target URL         base URL to probe (overrides probe.target)
  --requests N         samples to check (overrides probe.load.requests)
  --concurrency N      requests in flight (overrides probe.load.concurrency)
  --duration D         time budget, e.g. 30s (overrides probe.load.duration)
  --json FILE          write the verdict as JSON (- for stdout; the summary then goes
                       to stderr)
  --markdown FILE      write the verdict as Markdown (- for stdout)
  --on-leak CMD        run CMD (via sh -c) at the first leak; VAKT_LEAK_* variables describe it
  --on-leak-timeout D  how long CMD may run before it is stopped, e.g. 2m (default 5m)
  --quiet              print only the verdict line, and only for a leak or inconclusive;
                       no progress
  --verbose            log the run's events to stderr (JSON, or readable on a terminal)
                       instead of progress
  -h, --help           this text

Progress goes to stderr: on a terminal one line redrawn in place, elsewhere (CI logs) a
line every 5 s, e.g. "vakt: 1,200 of 3,000 requests, 0 leaks, 12 s".

Exit codes:
  0  pass
  1  leak (and the --on-leak command, if given, succeeded)
  2  bad input
  3  inconclusive (too few samples, target failing, logins refused)
  4  leak, and the --on-leak command failed or timed out: the release may still be serving

Example:
  ALICE_TOKEN=... BOB_PASSWORD=... vakt probe --policy policies/sample-shop.yaml \\
    --target http://127.0.0.1:8080 --json probe.json --on-leak 'kubectl rollout undo deploy/shop'
`;

export const probeCommand: Command = {
  name: 'probe',
  help: HELP,
  // The probe pulls in the HTTP client, the policy loader and the reports: only when it runs.
  run: async (argv, io) => (await import('./probe-run.ts')).runProbeCommand(argv, io),
};
