import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSubject, type MarkSubject, sealMark, verifyMark } from '../src/kube/seal.ts';
import { loadSealKeys, SealKeyError } from '../src/kube/seal-keys.ts';

const KEY = Buffer.from('a'.repeat(32));
const OTHER = Buffer.from('b'.repeat(32));
const SUBJECT: MarkSubject = {
  namespace: 'shop',
  guard: 'shop',
  deployment: 'shop',
  uid: '0f8e3c1a-0000-4000-8000-000000000001',
  templateHash: 'feedc0de12345678',
};

describe('the seal on a rejection mark', () => {
  it('verifies for the subject it was made for, and for no other', () => {
    const seal = sealMark({ current: KEY }, SUBJECT);
    expect(seal).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(verifyMark({ current: KEY }, SUBJECT, seal)).toBe(true);
    for (const field of Object.keys(SUBJECT) as (keyof MarkSubject)[]) {
      const other = { ...SUBJECT, [field]: `${SUBJECT[field]}x` };
      expect(verifyMark({ current: KEY }, other, seal), field).toBe(false);
    }
    expect(verifyMark({ current: OTHER }, SUBJECT, seal)).toBe(false);
  });

  it('encodes fields so that moving a boundary gives other bytes', () => {
    const a = { ...SUBJECT, namespace: 'ab', guard: 'c' };
    const b = { ...SUBJECT, namespace: 'a', guard: 'bc' };
    expect(encodeSubject(a).equals(encodeSubject(b))).toBe(false);
    const c = { ...SUBJECT, guard: 'shop\u0000shop' };
    const d = { ...SUBJECT, guard: 'shop', deployment: 'shop\u0000shop' };
    expect(sealMark({ current: KEY }, c)).not.toBe(sealMark({ current: KEY }, d));
  });

  it('still verifies a seal of the previous key after a rotation, but never writes with it', () => {
    const old = sealMark({ current: OTHER }, SUBJECT);
    const rotated = { current: KEY, previous: OTHER };
    expect(verifyMark(rotated, SUBJECT, old)).toBe(true);
    expect(sealMark(rotated, SUBJECT)).toBe(sealMark({ current: KEY }, SUBJECT));
    expect(verifyMark({ current: KEY }, SUBJECT, old)).toBe(false);
  });

  it('takes nothing else for a seal', () => {
    const seal = sealMark({ current: KEY }, SUBJECT);
    const mac = seal.slice(3);
    for (const bad of [
      undefined,
      '',
      'v1.',
      mac,
      `v2.${mac}`,
      `v1.${mac}=`,
      `v1.${mac}A`,
      `v1.${mac.slice(1)}`,
      `v1.${'!'.repeat(43)}`,
    ]) {
      expect(verifyMark({ current: KEY }, SUBJECT, bad), String(bad)).toBe(false);
    }
  });
});

describe('the seal key files', () => {
  async function file(name: string, text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-seal-'));
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('reads the key, trimmed, and the previous key when its file exists', async () => {
    const current = await file('current', `${'k'.repeat(40)}\n`);
    const previous = await file('previous', 'p'.repeat(32));
    const keys = await loadSealKeys(current, previous);
    expect(keys.current.toString()).toBe('k'.repeat(40));
    expect(keys.previous?.toString()).toBe('p'.repeat(32));
    const alone = await loadSealKeys(current, join(tmpdir(), 'vakt-no-such-dir', 'previous'));
    expect(alone.previous).toBeUndefined();
  });

  it('refuses a key file that is missing or too short, naming it and never showing the key', async () => {
    const missing = join(tmpdir(), 'vakt-no-such-dir', 'current');
    await expect(loadSealKeys(missing)).rejects.toThrow(
      new SealKeyError(`--seal-key-file ${missing}: cannot be read (ENOENT)`),
    );
    const short = await file('current', 'short-secret-key\n');
    const error = await loadSealKeys(short).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SealKeyError);
    expect((error as Error).message).toBe(
      `--seal-key-file ${short}: expected a key of at least 32 bytes, found 16`,
    );
    expect((error as Error).message).not.toContain('short-secret-key');
    const shortPrevious = await file('previous', 'tiny');
    await expect(
      loadSealKeys(await file('current', 'k'.repeat(32)), shortPrevious),
    ).rejects.toThrow(
      `--seal-previous-key-file ${shortPrevious}: expected a key of at least 32 bytes, found 4`,
    );
  });
});
