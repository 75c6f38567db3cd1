import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
// Deep imports: the package's index also loads its HTTP mocks (an older nock), which
// the tests do not need and which would sit beside nock 15 in one process.
import { type CA, initializeCA, initializeCTLog } from '@sigstore/mock/dist/fulcio/index.js';
import { initializeTLog, type TLog } from '@sigstore/mock/dist/rekor/tlog.js';
import { initializeTSA, type TSA } from '@sigstore/mock/dist/timestamp/tsa.js';

/**
 * A Sigstore instance made for tests: a Fulcio-like CA, and either a Rekor-like log (with
 * a CT log for SCTs, as public-good has) or an RFC 3161 timestamp authority (as GitHub's
 * own instance has). Bundles it signs are real: verifying them runs every check a
 * production bundle gets, against the trusted root it describes.
 */
export interface TestInstance {
  trustedRoot: Record<string, unknown>;
  attest(options: AttestOptions): Promise<Record<string, unknown>>;
}

export interface AttestOptions {
  statement: unknown;
  /** The certificate's SAN: the workflow that signed. */
  san: string;
  /** Fulcio extensions by OID suffix (1.3.6.1.4.1.57264.1.N). */
  extensions?: Record<number, string>;
  issuer?: string;
}

const ISSUER = 'https://token.actions.githubusercontent.com';
const START = '2020-01-01T00:00:00Z';

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

const der = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });
const b64 = (bytes: ArrayBufferView) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function logEntry(baseUrl: string, publicKey: Buffer) {
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: b64(publicKey),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: START },
    },
    logId: { keyId: b64(createHash('sha256').update(publicKey).digest()) },
  };
}

export async function testInstance(kind: 'public-good' | 'github'): Promise<TestInstance> {
  const withLog = kind === 'public-good';
  const ctKeys = keyPair();
  const ctlog = withLog ? await initializeCTLog(ctKeys) : undefined;
  // The timestamp instance runs on a fixed clock of whole seconds, a little ahead: its
  // timestamps then fall inside every certificate's validity (each starts at the real
  // second it was made), and carry no milliseconds, which the test TSA writes without
  // trailing zeros (".5Z") and the verifier's parser (exactly three digits) rejects.
  const clock = withLog ? undefined : new Date(Math.floor(Date.now() / 1000) * 1000 + 2000);
  const ca = await initializeCA(keyPair(), ctlog, clock);
  const tlog = withLog ? await initializeTLog('https://rekor.test', keyPair()) : undefined;
  const tsa = withLog ? undefined : await initializeTSA(keyPair(), clock);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: tlog ? [logEntry('https://rekor.test', tlog.publicKey)] : [],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: `https://fulcio.${kind}.test`,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start: START },
      },
    ],
    ctlogs: ctlog ? [logEntry('https://ctfe.test', der(ctKeys.publicKey))] : [],
    timestampAuthorities: tsa
      ? [
          {
            subject: { organization: 'sigstore.mock', commonName: 'tsa' },
            uri: 'https://timestamp.test',
            certChain: {
              certificates: [
                { rawBytes: b64(tsa.intCertificate) },
                { rawBytes: b64(tsa.rootCertificate) },
              ],
            },
            validFor: { start: START },
          },
        ]
      : [],
  };
  return { trustedRoot, attest: (options) => attest({ ca, tlog, tsa }, options) };
}

/** DSSE's pre-authentication encoding: what the signature covers. */
function pae(type: string, payload: Buffer): Buffer {
  const head = `DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `;
  return Buffer.concat([Buffer.from(head), payload]);
}

async function attest(
  parts: { ca: CA; tlog: TLog | undefined; tsa: TSA | undefined },
  options: AttestOptions,
): Promise<Record<string, unknown>> {
  const signer = keyPair();
  const extensions = [
    { oid: '1.3.6.1.4.1.57264.1.1', value: options.issuer ?? ISSUER, legacy: true },
    { oid: '1.3.6.1.4.1.57264.1.8', value: options.issuer ?? ISSUER },
    ...Object.entries(options.extensions ?? {}).map(([n, value]) => ({
      oid: `1.3.6.1.4.1.57264.1.${n}`,
      value,
    })),
  ];
  const cert = await parts.ca.issueCertificate({
    publicKey: der(signer.publicKey),
    subjectAltName: options.san,
    extensions,
  });
  const payloadType = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify(options.statement));
  const signature = sign('sha256', pae(payloadType, payload), signer.privateKey);
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64(cert)}\n-----END CERTIFICATE-----\n`;

  const verificationMaterial: Record<string, unknown> = {
    certificate: { rawBytes: b64(cert) },
    tlogEntries: [],
  };
  if (parts.tlog) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        payloadHash: { algorithm: 'sha256', value: sha256(payload) },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(certPem)) }],
      },
    };
    const logged = Object.values(await parts.tlog.log(body))[0] as LoggedEntry | undefined;
    if (!logged) throw new Error('the test log returned no entry');
    const proof = logged.verification?.inclusionProof;
    verificationMaterial.tlogEntries = [
      {
        logIndex: String(logged.logIndex),
        logId: { keyId: b64(Buffer.from(logged.logID, 'hex')) },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(logged.integratedTime),
        inclusionPromise: { signedEntryTimestamp: logged.verification?.signedEntryTimestamp },
        inclusionProof: proof && {
          logIndex: String(proof.logIndex),
          rootHash: b64(Buffer.from(proof.rootHash, 'hex')),
          treeSize: String(proof.treeSize),
          hashes: proof.hashes,
          checkpoint: { envelope: proof.checkpoint },
        },
        canonicalizedBody: logged.body,
      },
    ];
  }
  if (parts.tsa) {
    const stamp = await parts.tsa.timestamp({
      artifactHash: createHash('sha256').update(signature).digest(),
      hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      nonce: 1234,
      policyOID: '1.2.3.4',
      certReq: false,
    });
    verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: [{ signedTimestamp: b64(stamp) }],
    };
  }
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial,
    dsseEnvelope: {
      payload: b64(payload),
      payloadType,
      signatures: [{ sig: b64(signature), keyid: '' }],
    },
  };
}

/** What the test log answers, as Rekor's v1 API does. */
interface LoggedEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: {
      logIndex: number;
      rootHash: string;
      treeSize: number;
      hashes: string[];
      checkpoint: string;
    };
  };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
