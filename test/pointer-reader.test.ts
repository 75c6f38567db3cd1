import { describe, expect, it } from 'vitest';
import { resolvePointer } from '../src/probe/json-pointer.ts';
import { PointerReader } from '../src/probe/pointer-reader.ts';
import { seededRandom } from './support/random.ts';

function read(text: string, pointer: string, chunk = Number.POSITIVE_INFINITY) {
  const reader = new PointerReader(pointer);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) reader.write(bytes.subarray(i, i + chunk));
  return reader.end();
}

/** What reading the whole document with JSON.parse says. */
function reference(text: string, pointer: string): { value: string } | 'missing' {
  const value = resolvePointer(JSON.parse(text), pointer);
  return typeof value === 'string' || typeof value === 'number'
    ? { value: String(value) }
    : 'missing';
}

describe('PointerReader', () => {
  it.each([
    ['{"id":"u-1001"}', '/id', { value: 'u-1001' }],
    ['{"id":1001}', '/id', { value: '1001' }],
    ['{"user":{"id":"u-7","name":"x"}}', '/user/id', { value: 'u-7' }],
    ['{"users":[{"id":"a"},{"id":"b"}]}', '/users/1/id', { value: 'b' }],
    ['{"a/b":{"m~n":"ok"}}', '/a~1b/m~0n', { value: 'ok' }],
    ['{"id":"Testv\\u00e4gen \\"2\\""}', '/id', { value: 'Testvägen "2"' }],
    [`{"pad":"${'x'.repeat(100_000)}","id":"late"}`, '/id', { value: 'late' }],
    ['  {"id" : -1.5e3 }  ', '/id', { value: '-1500' }],
    ['"just-a-string"', '', { value: 'just-a-string' }],
    ['[[],{},"x"]', '/2', { value: 'x' }],
  ])('%s at %s', (text, pointer, expected) => {
    expect(read(text, pointer)).toEqual(expected);
    expect(read(text, pointer, 1)).toEqual(expected);
  });

  it.each([
    ['{"id":null}', '/id', /not a string or number/],
    ['{"id":{"x":1}}', '/id', /not a string or number/],
    ['{"other":"u"}', '/id', /nothing at \/id/],
    ['<html>busy</html>', '/id', /not JSON/],
    ['{"id":"u-1"', '/id', /cut short/],
    ['{"id":"u-1"} trailing', '/id', /not JSON/],
    ['{"id":"u-1"]', '/id', /not JSON/],
    ['{"id" "u-1"}', '/id', /not JSON/],
    ['', '/id', /cut short/],
  ])('%s at %s is missing: %s', (text, pointer, why) => {
    const result = read(text, pointer);
    expect('missing' in result && result.missing).toMatch(why);
  });

  it('agrees with JSON.parse on random documents, pointers and chunkings', () => {
    const rand = seededRandom(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
    const strings = ['id', 'a/b', 'm~n', 'ä', 'x"y', 'back\\slash', '', 'u-1001', 'emoji 😀'];
    const gen = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.35)
        return pick<unknown>([
          pick(strings),
          Math.round(rand() * 1e6) / 100,
          -7,
          true,
          false,
          null,
        ]);
      if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 4) }, () => [pick(strings), gen(depth + 1)]),
      );
    };
    const paths = (node: unknown, prefix: string): string[] => {
      if (node === null || typeof node !== 'object') return [prefix];
      const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
      const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
      return [
        prefix,
        ...keys.flatMap((k) => paths((node as Record<string, unknown>)[k], `${prefix}/${esc(k)}`)),
      ];
    };
    for (let n = 0; n < 300; n++) {
      const doc = gen(0);
      const text = JSON.stringify(doc, null, rand() < 0.5 ? 0 : 2);
      for (const pointer of [...paths(doc, ''), '/nope', '/0/nope']) {
        const expected = reference(text, pointer);
        for (const chunk of [Number.POSITIVE_INFINITY, 1, 1 + Math.floor(rand() * 7)]) {
          const got = read(text, pointer, chunk);
          if (expected === 'missing') expect('missing' in got, `${text} ${pointer}`).toBe(true);
          else expect(got, `${text} ${pointer} chunk ${chunk}`).toEqual(expected);
        }
      }
    }
  });
});
