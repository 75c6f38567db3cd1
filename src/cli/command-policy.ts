import { formatProblem, loadPolicyFile, type PolicyProblem } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';
import type { Io } from './command.ts';

type Section = 'approval' | 'probe';

/** What each command says when its section is missing, and which example has one. */
const MISSING: Record<Section, string> = {
  approval: 'has no approval section: the gate needs one (see policies/example.yaml)',
  probe: 'has no probe section: the probe needs its tenants (see policies/sample-shop.yaml)',
};

/**
 * Loads the policy a command runs on and takes the section it needs. `file` labels the
 * problems as given (relative paths are read from io.cwd), so editors and the Action can
 * point at them. Errors are printed as FILE:LINE:COL lines; they and the warnings about
 * this section go to io.policyProblems. Undefined: the policy is unusable, exit 2.
 */
export async function loadCommandPolicy<S extends Section>(
  io: Io,
  file: string,
  section: S,
): Promise<NonNullable<Policy[S]> | undefined> {
  const loaded = await loadPolicyFile(file, io.cwd);
  if (!loaded.ok) return refuse(io, loaded.problems);
  const part = loaded.policy[section];
  if (!part) return refuse(io, [{ file, line: 1, col: 1, path: '', message: MISSING[section] }]);
  // Another section's blind spots are no business of this command's step.
  const warnings = loaded.warnings.filter((w) => inSection(w.path, section));
  io.policyProblems?.({ errors: [], warnings });
  return part;
}

function refuse(io: Io, errors: PolicyProblem[]): undefined {
  io.policyProblems?.({ errors, warnings: [] });
  for (const problem of errors) io.stderr(`${formatProblem(problem)}\n`);
  return undefined;
}

function inSection(path: string, section: Section): boolean {
  return path === section || path.startsWith(`${section}.`) || path.startsWith(`${section}[`);
}
