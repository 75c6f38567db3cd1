import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GitHubOptions } from '../github/client.ts';
import { type Io, UsageError } from './command.ts';

/**
 * A token, or a GitHub App (flags first, then the environment). Returns the secrets too,
 * so every output can be scrubbed of them. Shared by `vakt gate` and `vakt serve`.
 */
export async function readCredentials(
  values: { token?: string; 'app-id'?: string; 'app-key'?: string; installation?: string },
  io: Io,
  tokenHint = 'set GITHUB_TOKEN or pass --token',
): Promise<{ options: GitHubOptions; secrets: string[] }> {
  const appId = appIdOf(values['app-id'], io);
  if (appId === undefined) {
    const token = values.token ?? io.env.GITHUB_TOKEN;
    if (!token) {
      throw new UsageError(
        `no GitHub token: ${tokenHint} (or a GitHub App: --app-id, --app-key, --installation)`,
      );
    }
    return { options: { token }, secrets: [token] };
  }
  const installation = values.installation ?? io.env.GITHUB_APP_INSTALLATION_ID;
  if (!installation || !/^[1-9][0-9]*$/.test(installation)) {
    throw new UsageError('a GitHub App needs --installation N (or GITHUB_APP_INSTALLATION_ID)');
  }
  const privateKey = await readAppPrivateKey(values['app-key'], io);
  return {
    options: { app: { appId, privateKey, installationId: Number(installation) } },
    secrets: privateKeySecrets(privateKey),
  };
}

/** The App's id, from the flag or GITHUB_APP_ID: a positive whole number. */
export function appIdOf(value: string | undefined, io: Io): string | undefined {
  const appId = value ?? io.env.GITHUB_APP_ID;
  if (appId !== undefined && !/^[1-9][0-9]*$/.test(appId)) {
    throw new UsageError(`--app-id expects a number, got "${appId}"`);
  }
  return appId;
}

/**
 * A GitHub App's private key, from `--app-key FILE` or else GITHUB_APP_PRIVATE_KEY (the
 * PEM itself), checked before it is used. Also read by `vakt app`, which has no installation
 * of its own: each webhook names one.
 */
export async function readAppPrivateKey(file: string | undefined, io: Io): Promise<string> {
  let privateKey = io.env.GITHUB_APP_PRIVATE_KEY;
  if (file !== undefined) {
    privateKey = await readFile(resolve(io.cwd, file), 'utf8').catch(() => {
      throw new UsageError(`--app-key: cannot read ${file}`);
    });
  }
  if (!privateKey?.includes('PRIVATE KEY-----')) {
    throw new UsageError(
      'a GitHub App needs its private key in PEM form: --app-key FILE or GITHUB_APP_PRIVATE_KEY',
    );
  }
  // Checked here: octokit would only fail at the first request, as if GitHub were down.
  if (!isRsaPrivateKey(privateKey)) {
    const source = file !== undefined ? '--app-key' : 'GITHUB_APP_PRIVATE_KEY';
    throw new UsageError(
      `${source}: not a PEM private key GitHub could have issued (an RSA key, "-----BEGIN RSA PRIVATE KEY-----")`,
    );
  }
  return privateKey;
}

/** The key and each of its longer lines: scrubbed from every output, whole or in part. */
export function privateKeySecrets(pem: string): string[] {
  return [pem, ...pem.split('\n').filter((line) => line.length >= 16)];
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
