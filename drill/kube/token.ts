import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

// ---- the token format, as aws-iam-authenticator defines it (pkg/token/token.go) ---------------

/** `v1Prefix`: a token is this prefix plus the presigned URL in base64url without padding (RawURLEncoding). */
const TOKEN_PREFIX = 'k8s-aws-v1.';
/** `clusterIDHeader`: the signed header that binds a token to one cluster. */
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** `maxTokenLenBytes`: longer tokens are refused before decoding. */
const MAX_TOKEN_BYTES = 4096;
/**
 * `requestPresignParam`: clients set X-Amz-Expires to 60 "for legacy reasons"; authenticator servers
 * up to 0.3.0 refuse a value outside 0–60, later ones ignore it (the URL is valid for 15 minutes).
 */
const MAX_PRESIGN_EXPIRES_SECONDS = 60;

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TokenCheckOptions {
  /** Time source in ms since the epoch. */
  now: () => number;
  /** Tokens older than this are refused, as the EKS authenticator does. */
  tokenMaxAgeMs: number;
  /**
   * Check the token is bound to this cluster: recompute the presigned URL's signature with these
   * credentials and `x-k8s-aws-id: <clusterName>` and compare. Without it only the shape is checked.
   */
  expectedCluster?: { clusterName: string; credentials: StaticCredentials } | undefined;
}

/**
 * Why the cluster's authenticator refuses an `Authorization` header, or undefined when it accepts it
 * (aws-iam-authenticator's token verifier, pkg/token/token.go: shape, presigned STS URL,
 * `x-k8s-aws-id` signed, age; and, with `expectedCluster`, the signature for that cluster, as STS
 * checks it). Never includes the token.
 */
export async function verifyEksToken(header: string | undefined, options: TokenCheckOptions): Promise<string | undefined> {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match?.[1]) return 'missing bearer token';
  const token = match[1];
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return 'token is too long';
  const body = token.startsWith(TOKEN_PREFIX) ? token.slice(TOKEN_PREFIX.length) : '';
  // RawURLEncoding: the URL-safe alphabet and no padding.
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return 'not a k8s-aws-v1 token (base64url, no padding)';
  const decoded = Buffer.from(body, 'base64url').toString('utf8');
  let url: URL;
  try {
    url = new URL(decoded);
  } catch {
    return 'token does not wrap a URL';
  }
  if (url.protocol !== 'https:' || !/^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(url.hostname) || url.pathname !== '/') {
    return 'token URL is not an STS endpoint';
  }
  const q = url.searchParams;
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') return 'token URL is not GetCallerIdentity';
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return 'token URL is not SigV4-presigned';
  const expires = Number(q.get('X-Amz-Expires') ?? '');
  if (!Number.isInteger(expires) || expires < 0 || expires > MAX_PRESIGN_EXPIRES_SECONDS) return 'token URL X-Amz-Expires must be 0 to 60';
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes(CLUSTER_ID_HEADER) || !signedHeaders.includes('host')) {
    return `token URL must sign host and ${CLUSTER_ID_HEADER}`;
  }
  const signature = q.get('X-Amz-Signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'token URL has no signature';
  const credential = (q.get('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId, , region, service, terminator] = credential;
  if (credential.length !== 5 || !accessKeyId || !region || service !== 'sts' || terminator !== 'aws4_request') {
    return 'token URL has a malformed credential scope';
  }
  const signedAt = parseAmzDate(q.get('X-Amz-Date') ?? '');
  if (signedAt === undefined) return 'token URL has a malformed X-Amz-Date';
  const age = options.now() - signedAt.getTime();
  if (age > options.tokenMaxAgeMs) return 'token expired';
  if (age < -5 * 60_000) return 'token signed in the future';

  const expected = options.expectedCluster;
  if (expected) {
    if (accessKeyId !== expected.credentials.accessKeyId) return 'token signed by an unknown access key';
    // The authenticator forwards the presigned request to STS with `x-k8s-aws-id: <its cluster>`;
    // STS recomputes the SigV4 signature over what it receives (SigV4 reference, "Authenticating
    // requests: using query parameters").
    const received = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: url.hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.hostname, [CLUSTER_ID_HEADER]: expected.clusterName },
    });
    const signer = new SignatureV4({ credentials: expected.credentials, region, service: 'sts', sha256: Sha256 });
    const resigned = await signer.presign(received, { expiresIn: expires, signingDate: signedAt });
    if (resigned.query?.['X-Amz-Signature'] !== signature) {
      return `token signature does not match cluster ${expected.clusterName}`;
    }
  }
  return undefined;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}
