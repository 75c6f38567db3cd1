import { readFile } from 'node:fs/promises';
import { MIN_KEY_BYTES, type SealKeys } from './seal.ts';

/** A key file that cannot be used; the message names the file and what was expected. */
export class SealKeyError extends Error {}

/**
 * Reads the key that seals rejection marks (`--seal-key-file`) and, when its file exists,
 * the key before a rotation (`--seal-previous-key-file`). The file's text, surrounding
 * whitespace trimmed, is the key. The message of an error never holds a key's bytes.
 */
export async function loadSealKeys(currentFile: string, previousFile?: string): Promise<SealKeys> {
  const current = await readKey(currentFile, '--seal-key-file', true);
  if (!current) throw new SealKeyError(`--seal-key-file ${currentFile}: cannot be read`);
  const previous = previousFile
    ? await readKey(previousFile, '--seal-previous-key-file', false)
    : undefined;
  return { current, ...(previous && { previous }) };
}

async function readKey(file: string, flag: string, required: boolean): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // The chart mounts the whole Secret: no previous key until a rotation puts one there.
    if (!required && code === 'ENOENT') return undefined;
    throw new SealKeyError(`${flag} ${file}: cannot be read (${String(code ?? 'error')})`);
  }
  const key = Buffer.from(text.trim(), 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new SealKeyError(
      `${flag} ${file}: expected a key of at least ${MIN_KEY_BYTES} bytes, found ${key.length}`,
    );
  }
  return key;
}
