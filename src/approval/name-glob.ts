/**
 * The small matcher behind the operator's repository allow-lists (`acme/*`): `**` any
 * number of segments (including none), `*` any characters within one segment, `?` one
 * character other than `/`; everything else is literal, which is what an `owner/name`
 * pattern needs. Path rules do not use it: they match with picomatch (see glob.ts).
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
