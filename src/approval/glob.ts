import picomatch from 'picomatch';

/**
 * Path rules match changed files with picomatch, which follows bash with globstar and
 * extglob on: `**` any depth (including none), `*` and `?` within one segment, braces
 * (`{yaml,yml}`, `{1..3}`), classes (`[ab]`, `[!ab]`, `[[:digit:]]`) and extglobs
 * (`+(a|b)`, `!(README).md`). Every option that changes what matches is set here, so a
 * new picomatch default cannot change which rules apply:
 * - dot: a dotfile or dot folder (`.github/`, `.env`) matches like any other name; a
 *   rule that skipped them would let a change to CI or secrets config pass unnoticed;
 * - basename off: a pattern without a slash matches at the repository root only, as
 *   written (`**\/Dockerfile` says "anywhere");
 * - nonegate: a leading `!` is never a negation (policy check refuses it, see below);
 * - case-sensitive and POSIX-style: GitHub's paths are, whatever machine the gate runs on.
 */
export const GLOB_OPTIONS: picomatch.PicomatchOptions = {
  dot: true,
  basename: false,
  nonegate: true,
  nocase: false,
  noextglob: false,
  nobrace: false,
  noglobstar: false,
  posix: true,
  strictBrackets: true,
  windows: false,
};

const compiled = new Map<string, (path: string) => boolean>();

function matcher(glob: string): (path: string) => boolean {
  let test = compiled.get(glob);
  if (!test) {
    // A pattern policy check would refuse matches nothing: it can only make a rule stricter
    // by applying, so failing to apply is the safe side, and loading refused it anyway.
    test = globProblem(glob) === undefined ? picomatch(glob, GLOB_OPTIONS) : () => false;
    compiled.set(glob, test);
  }
  return test;
}

/** Whether `path` matches any of `globs`. A leading "./" or "/" on the path is ignored. */
export function matchesAnyGlob(path: string, globs: readonly string[]): boolean {
  const clean = path.replace(/^(?:\.\/|\/)+/, '');
  return globs.some((g) => matcher(g)(clean));
}

/**
 * Why a pattern cannot match as written, or undefined when it can. A path rule only ever
 * adds requirements, so a pattern that silently matches nothing weakens the gate: each
 * case here is one a person writes meaning something else.
 */
export function globProblem(glob: string): string | undefined {
  if (glob.trim() === '') return 'an empty pattern matches no file';
  if (glob.startsWith('!') && !glob.startsWith('!(')) {
    return 'negation ("!" at the start) is not supported: a path rule applies when any changed file matches any of its patterns, so list the paths it covers (escape a literal "!" as "\\!")';
  }
  if (glob.startsWith('/')) {
    return 'paths are relative to the repository root: drop the leading "/"';
  }
  if (glob.endsWith('/')) {
    return 'a trailing "/" matches no file (GitHub lists files, not folders): write "dir/**" for everything under a folder';
  }
  const segments = glob.replace(/^\.\//, '').split('/');
  if (segments.includes('')) return 'an empty segment ("//") matches no path';
  if (segments.some((s) => s === '.' || s === '..')) {
    return 'a "." or ".." segment matches no path: GitHub lists paths without them';
  }
  const structure = structureProblem(glob);
  if (structure) return structure;
  try {
    picomatch.makeRe(glob, GLOB_OPTIONS);
  } catch (error) {
    return `not a pattern picomatch can read: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

const CLOSERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/**
 * Balance of braces, brackets and parentheses, and braces that expand: picomatch reads an
 * unbalanced "}" or a one-alternative "{yaml}" literally, which is never what was meant.
 */
function structureProblem(glob: string): string | undefined {
  const open: { char: string; alternatives: boolean }[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\') {
      if (i === glob.length - 1) {
        return 'ends with a lone "\\": escape what follows it, or write "\\\\" for a backslash';
      }
      i += 1;
      continue;
    }
    if (c === '[') {
      const end = bracketEnd(glob, i);
      if (end === undefined) return unbalanced('[');
      i = end;
      continue;
    }
    if (c === '{' || c === '(') open.push({ char: c, alternatives: false });
    else if (c === '}' || c === ')' || c === ']') {
      const top = open.pop();
      if (!top || CLOSERS[top.char] !== c) return unbalanced(c);
      if (c === '}' && !top.alternatives && !/\.\./.test(lastBraceBody(glob, i))) {
        return `"{...}" with one alternative is read literally: list at least two, as in "{yaml,yml}", or escape the braces`;
      }
    } else if (c === ',' && open.at(-1)?.char === '{') {
      (open.at(-1) as { alternatives: boolean }).alternatives = true;
    }
  }
  const left = open.pop();
  return left ? unbalanced(left.char) : undefined;
}

function unbalanced(char: string): string {
  return `unbalanced "${char}": escape it ("\\${char}") to match it literally`;
}

/** The index of the "]" closing the class opened at `start`; a "]" right after "[" or "[!" is a member. */
function bracketEnd(glob: string, start: number): number | undefined {
  let i = start + 1;
  if (glob[i] === '!' || glob[i] === '^') i += 1;
  if (glob[i] === ']') i += 1;
  for (; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i += 1;
    else if (c === '[' && glob[i + 1] === ':') {
      const close = glob.indexOf(':]', i + 2);
      if (close !== -1) i = close + 1;
    } else if (c === ']') return i;
  }
  return undefined;
}

/** The text of the innermost brace group that ends at `end`, for spotting ranges ("{1..3}"). */
function lastBraceBody(glob: string, end: number): string {
  const start = glob.lastIndexOf('{', end);
  return glob.slice(start + 1, end);
}
