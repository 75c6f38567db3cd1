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
  const appId = values['app-id'] ?? io.env.GITHUB_APP_ID;
  if (appId === undefined) {
    const token = values.token ?? io.env.GITHUB_TOKEN;
    if (!token) {
      throw new UsageError(
        `no GitHub token: ${tokenHint} (or a GitHub App: --app-id, --app-key, --installation)`,
      );
    }
    return { options: { token }, secrets: [token] };
  }
  if (!/^[1-9][0-9]*$/.test(appId))
    throw new UsageError(`--app-id expects a number, got "${appId}"`);
  const installation = values.installation ?? io.env.GITHUB_APP_INSTALLATION_ID;
  if (!installation || !/^[1-9][0-9]*$/.test(installation)) {
    throw new UsageError('a GitHub App needs --installation N (or GITHUB_APP_INSTALLATION_ID)');
  }
  let privateKey = io.env.GITHUB_APP_PRIVATE_KEY;
  if (values['app-key'] !== undefined) {
    const file = resolve(io.cwd, values['app-key']);
    privateKey = await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`--app-key: cannot read ${values['app-key']}`);
    });
  }
  if (!privateKey?.includes('PRIVATE KEY-----')) {
    throw new UsageError(
      'a GitHub App needs its private key in PEM form: --app-key FILE or GITHUB_APP_PRIVATE_KEY',
    );
  }
  // Checked here: octokit would only fail at the first request, as if GitHub were down.
  if (!isRsaPrivateKey(privateKey)) {
    const source = values['app-key'] !== undefined ? '--app-key' : 'GITHUB_APP_PRIVATE_KEY';
    throw new UsageError(
      `${source}: not a PEM private key GitHub could have issued (an RSA key, "-----BEGIN RSA PRIVATE KEY-----")`,
    );
  }
  return {
    options: { app: { appId, privateKey, installationId: Number(installation) } },
    secrets: [privateKey, ...privateKey.split('\n').filter((line) => line.length >= 16)],
  };
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
