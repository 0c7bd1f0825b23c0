import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';
import type { TokensConfig } from '../../shared/config/app-config';
import { ACCESS_TOKEN_ALGORITHM, JwksDto } from '../../shared/security/security.contract';

/** The Ed25519 key that signs access tokens, and its public half as a JWKS. */
export class SigningKeys {
  private constructor(
    readonly kid: string,
    readonly privateKey: Awaited<ReturnType<typeof importJWK>>,
    readonly jwks: JwksDto,
  ) {}

  /**
   * `AUTH_SIGNING_KEY` (a private JWK) when set, so replicas share one key; otherwise a key
   * generated once and kept under `dataDir/auth` (`DATA_DIR`), so tokens survive a restart.
   */
  static async load(
    config: Pick<TokensConfig, 'signingKey'>,
    dataDir: string,
  ): Promise<SigningKeys> {
    const jwk = config.signingKey
      ? parseJwk(config.signingKey)
      : await loadOrCreate(join(dataDir, 'auth', 'signing-key.json'));
    const { d: _private, ...publicJwk } = jwk;
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateKey = await importJWK(jwk, ACCESS_TOKEN_ALGORITHM);
    const published = { ...publicJwk, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
    return new SigningKeys(kid, privateKey, { keys: [published] });
  }
}

function parseJwk(text: string): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error('AUTH_SIGNING_KEY: not a JSON Web Key');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new Error('AUTH_SIGNING_KEY: must be an Ed25519 private JWK');
  }
  return jwk;
}

async function loadOrCreate(file: string): Promise<JWK> {
  try {
    return parseJwk(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  });
  const jwk = await exportJWK(privateKey);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' }).catch((e: unknown) => {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  });
  return parseJwk(await readFile(file, 'utf8'));
}
