import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Whether the demo can write its reports where it was told to, asked before the story runs:
 * finding out only afterwards would throw the run away. Each answer is one sentence naming
 * the path and the problem, or undefined when the place is fine. The check is the real
 * thing (the file is opened for appending, and removed again if it was not there), since
 * permission bits alone do not say what root, read-only mounts or /proc allow.
 */

/** The system's reason without Node's prefix and path: "permission denied". */
function why(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message
    .replace(/^[A-Z]+: /, '')
    .replace(/, \w+ '.*'$/s, '')
    .toLowerCase();
}

/**
 * mkdir -p one folder at a time. Node's recursive mkdir spins for ever where the kernel
 * answers ENOENT for a folder whose parent exists (/proc/sys/x); plain mkdir just fails.
 */
async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!(await stat(at).catch(() => undefined))) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const folder of missing) await mkdir(folder);
}

/** A folder files can be written into, creating it if needed. */
export async function folderProblem(dir: string): Promise<string | undefined> {
  try {
    await makeFolders(dir);
    if (!(await stat(dir)).isDirectory()) return `${dir} is a file, not a folder`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return `cannot create ${dir}: part of the path is a file`;
    return `cannot create ${dir}: ${why(error)}`;
  }
}

/** A file that can be written: in a folder that is there or can be made, and not a folder itself. */
export async function fileProblem(file: string): Promise<string | undefined> {
  const inFolder = await folderProblem(dirname(file));
  if (inFolder) return inFolder;
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) return `${file} is a folder`;
  try {
    const handle = await open(file, 'a');
    await handle.close();
    if (!existing) await rm(file, { force: true });
    return undefined;
  } catch (error) {
    return `cannot write ${file}: ${why(error)}`;
  }
}
