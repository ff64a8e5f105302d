import { ApiException } from '@kubernetes/client-node';
import 'aws-sdk-client-mock-jest';
import { createHash, createHmac } from 'node:crypto';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { KubeApiStandIn } from '../../drill/kube';
import { setClock } from '../../functions/shared/clock';
import {
  describeClusterAccess,
  eksKubeConnector,
  encodeEksToken,
  mintEksToken,
  presignGetCallerIdentity,
  toKubernetesError,
} from '../../functions/shared/eks';
import { CutoverError, RolloutFailedError } from '../../functions/shared/errors';
import { readConfigMap } from '../../functions/shared/kube';

const CLUSTER = 'portforge-dr-cluster';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE000000001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SIGNED_AT = new Date('2026-11-27T05:06:07.000Z');

const eks = mockClient(EKSClient);
beforeEach(() => eks.reset());
afterAll(() => {
  eks.restore();
  setClock(undefined);
});

const sha256hex = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** An independent SigV4 query-signature computation, to check the presigner against the spec. */
function expectedSignature(url: URL, headers: Record<string, string>, secretAccessKey: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature').sort(([a], [b]) => (a < b ? -1 : 1));
  const canonicalQuery = params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') ?? '';
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${headers[h]}\n`)
    .join('');
  const canonicalRequest = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders, sha256hex('')].join('\n');
  const [, shortDate = '', region = '', service = ''] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', url.searchParams.get('X-Amz-Date'), scope, sha256hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('encodeEksToken', () => {
  it('prefixes k8s-aws-v1. and encodes base64url without padding', () => {
    // Lengths 1..3 mod 3 cover every padding case of standard base64.
    for (const url of ['https://a', 'https://ab', 'https://abc', 'https://sts.amazonaws.com/?a=b~c/d+e']) {
      const token = encodeEksToken(url);
      const body = token.slice('k8s-aws-v1.'.length);

      expect(token.startsWith('k8s-aws-v1.')).toBe(true);
      expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(body, 'base64url').toString('utf8')).toBe(url);
    }
  });

});

describe('presignGetCallerIdentity', () => {
  it('presigns STS GetCallerIdentity for 60 s with x-k8s-aws-id as a signed header', async () => {
    const url = new URL(
      await presignGetCallerIdentity({ clusterName: CLUSTER, region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: SIGNED_AT }),
    );

    expect(url.origin).toBe('https://sts.ap-northeast-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE000000001/20261127/ap-northeast-1/sts/aws4_request',
      'X-Amz-Date': '20261127T050607Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });
  });

  it('signs the cluster name, so the token is bound to one cluster', async () => {
    const options = { region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: SIGNED_AT };
    const url = new URL(await presignGetCallerIdentity({ clusterName: CLUSTER, ...options }));
    const other = new URL(await presignGetCallerIdentity({ clusterName: 'another-cluster', ...options }));
    const host = 'sts.ap-northeast-1.amazonaws.com';

    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, { host, 'x-k8s-aws-id': CLUSTER }, CREDENTIALS.secretAccessKey),
    );
    expect(other.searchParams.get('X-Amz-Signature')).not.toBe(url.searchParams.get('X-Amz-Signature'));
  });

  it('carries a session token from temporary credentials in the signed query', async () => {
    const url = new URL(
      await presignGetCallerIdentity({
        clusterName: CLUSTER,
        region: 'ap-northeast-1',
        credentials: { ...CREDENTIALS, sessionToken: 'session/token+with=specials' },
        signingDate: SIGNED_AT,
      }),
    );

    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+with=specials');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, { host: 'sts.ap-northeast-1.amazonaws.com', 'x-k8s-aws-id': CLUSTER }, CREDENTIALS.secretAccessKey),
    );
  });

  it('accepts a credential provider, as fromNodeProviderChain returns', async () => {
    const provider = jest.fn(() => Promise.resolve(CREDENTIALS));

    const token = await mintEksToken({ clusterName: CLUSTER, region: 'ap-northeast-1', credentials: provider, signingDate: SIGNED_AT });

    expect(provider).toHaveBeenCalled();
    expect(new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8')).searchParams.get('X-Amz-Expires')).toBe('60');
  });
});

describe('describeClusterAccess', () => {
  it('returns the endpoint and CA of an ACTIVE cluster', async () => {
    eks.on(DescribeClusterCommand, { name: CLUSTER }).resolves({
      cluster: { status: 'ACTIVE', endpoint: 'https://ABC.gr7.ap-northeast-1.eks.amazonaws.com', certificateAuthority: { data: 'Q0E=' } },
    });

    await expect(describeClusterAccess(new EKSClient({}), CLUSTER)).resolves.toEqual({
      endpoint: 'https://ABC.gr7.ap-northeast-1.eks.amazonaws.com',
      caData: 'Q0E=',
    });
    expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: CLUSTER });
  });

  it('throws KubernetesUnavailableError while the cluster is not ACTIVE', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'UPDATING', endpoint: 'https://x', certificateAuthority: { data: 'Q0E=' } } });

    await expect(describeClusterAccess(new EKSClient({}), CLUSTER)).rejects.toMatchObject({
      name: 'KubernetesUnavailableError',
      message: expect.stringContaining('UPDATING') as string,
    });
  });

  it('throws KubernetesNotFoundError for a cluster that does not exist', async () => {
    eks.on(DescribeClusterCommand).rejects(Object.assign(new Error('No cluster found'), { name: 'ResourceNotFoundException' }));

    await expect(describeClusterAccess(new EKSClient({}), CLUSTER)).rejects.toMatchObject({ name: 'KubernetesNotFoundError' });
  });
});

describe('eksKubeConnector', () => {
  it('mints a fresh token per invocation, so a long cutover is never refused with a stale token', async () => {
    let now = Date.parse('2026-11-27T05:00:00.000Z');
    setClock({ now: () => new Date(now) });
    const standIn = new KubeApiStandIn({ now: () => now, expectedCluster: { clusterName: CLUSTER, credentials: CREDENTIALS } });
    standIn.seedConfigMap('portforge', 'auth-config', { AWS_REGION: 'ap-northeast-2' });
    const access = await standIn.start();
    try {
      eks.on(DescribeClusterCommand).resolves({
        cluster: { status: 'ACTIVE', endpoint: access.endpoint, certificateAuthority: { data: access.caData } },
      });
      const connect = eksKubeConnector({ eks: new EKSClient({}), region: 'ap-northeast-1', credentials: CREDENTIALS });
      const ref = { namespace: 'portforge', name: 'auth-config' };

      const first = await connect(CLUSTER);
      await readConfigMap(first, ref);
      now += 20 * 60_000; // older than the authenticator accepts
      await expect(readConfigMap(first, ref)).rejects.toMatchObject({ name: 'KubernetesAuthError' });
      const second = await connect(CLUSTER);
      await expect(readConfigMap(second, ref)).resolves.toMatchObject({ data: { AWS_REGION: 'ap-northeast-2' } });

      expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
      expect(standIn.authFailures).toEqual(['token expired']);
    } finally {
      await standIn.stop();
    }
  });
});

describe('toKubernetesError', () => {
  const apiError = (code: number, body?: unknown) => new ApiException(code, `HTTP-Code: ${code}`, body, {});

  it.each([
    [401, 'KubernetesAuthError'],
    [403, 'KubernetesForbiddenError'],
    [404, 'KubernetesNotFoundError'],
    [409, 'KubernetesConflictError'],
    [429, 'KubernetesUnavailableError'],
    [500, 'KubernetesUnavailableError'],
    [503, 'KubernetesUnavailableError'],
    [422, 'StepContractError'],
  ])('maps HTTP %i to %s', (code, name) => {
    expect(toKubernetesError(apiError(code), 'read configmap/ns/x')).toMatchObject({ name });
  });

  it('names the operation and the Status reason, never the request', () => {
    const error = toKubernetesError(apiError(404, { kind: 'Status', reason: 'NotFound', message: 'configmaps "x" not found' }), 'read configmap/ns/x');

    expect(error.message).toBe('read configmap/ns/x: Kubernetes API answered 404 (NotFound: configmaps "x" not found)');
    expect(error).toBeInstanceOf(CutoverError);
  });

  it('maps network failures to KubernetesUnavailableError', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });

    expect(toKubernetesError(refused, 'read deployment/ns/auth')).toMatchObject({
      name: 'KubernetesUnavailableError',
      message: 'read deployment/ns/auth: Kubernetes API unreachable (ECONNREFUSED)',
    });
  });

  it('maps a request aborted by its timeout to KubernetesUnavailableError, not to an HTTP status', () => {
    // AbortSignal.timeout() aborts with a DOMException named TimeoutError, whose legacy code is 23 (WHATWG DOM, DOMException names table).
    const timedOut = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError', code: 23 });

    expect(toKubernetesError(timedOut, 'read configmap/ns/x')).toMatchObject({
      name: 'KubernetesUnavailableError',
      message: 'read configmap/ns/x: Kubernetes API unreachable (TimeoutError)',
    });
    const aborted = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(toKubernetesError(aborted, 'read configmap/ns/x')).toMatchObject({ name: 'KubernetesUnavailableError' });
  });

  it('passes named cutover errors and unrelated errors through unchanged', () => {
    const named = new RolloutFailedError('deadline');
    const bug = new RangeError('bug');

    expect(toKubernetesError(named, 'op')).toBe(named);
    expect(toKubernetesError(bug, 'op')).toBe(bug);
  });
});
