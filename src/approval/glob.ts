/**
 * A small path glob matcher: `**` any number of segments (including none), `*` any
 * characters within one segment, `?` one character other than `/`. Everything else is
 * literal. Kept here so the gate does not depend on the runtime's glob flavour.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      const next = glob[i + 2];
      if (atStart && next === '/') {
        out += '(?:.*/)?'; // "**/" also matches no directory at all
        i += 3;
        continue;
      }
      if (atStart && next === undefined) {
        out += '.*';
        i += 2;
        continue;
      }
      out += '[^/]*'; // "a**b" is not a directory wildcard: treat it as "*"
      i += 2;
      continue;
    }
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
    i += 1;
  }
  return new RegExp(`^${out}$`);
}

/** Whether `path` matches any of `globs`. A leading "./" or "/" on the path is ignored. */
export function matchesAnyGlob(path: string, globs: readonly string[]): boolean {
  const clean = path.replace(/^(?:\.\/|\/)+/, '');
  return globs.some((g) => globToRegExp(g).test(clean));
}
