import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { clock } from './clock';
import {
  CutoverError,
  KubernetesAuthError,
  KubernetesForbiddenError,
  KubernetesConflictError,
  KubernetesNotFoundError,
  KubernetesUnavailableError,
  StepContractError,
} from './errors';
import { awsClientConfig, lambdaCallTimeouts } from './aws-client';

/**
 * EKS access from a Lambda (design §5): DescribeCluster for the endpoint and CA,
 * a bearer token minted from a presigned STS GetCallerIdentity URL, and the
 * @kubernetes/client-node API clients built from both.
 * The token is never logged and never put into an error message.
 */

/** Static credentials or a provider of them, as SignatureV4 accepts them. */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface ClusterAccess {
  /** The API server URL, e.g. `https://ABC.gr7.ap-northeast-1.eks.amazonaws.com`. */
  endpoint: string;
  /** Base64 of the cluster CA bundle (PEM), exactly as DescribeCluster returns `certificateAuthority.data`. */
  caData: string;
}

export interface KubeAccess extends ClusterAccess {
  /** `k8s-aws-v1.…` bearer token. Secret: never log it. */
  token: string;
}

/** The Kubernetes API clients the Auth steps use. */
export interface KubeApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  /** How long one Kubernetes request may take before it is aborted (default KUBE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** The bound on one Kubernetes request when none is given: well below any step Lambda's timeout. */
export const KUBE_REQUEST_TIMEOUT_MS = 10_000;

/** Connects to a cluster for one invocation: DescribeCluster + fresh token + clients. */
export type KubeConnector = (clusterName: string) => Promise<KubeApis>;

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The header aws-iam-authenticator checks to bind a token to one cluster. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** Lifetime of the presigned URL the token wraps (what `aws eks get-token` uses). */
export const TOKEN_URL_EXPIRES_SECONDS = 60;

// ---- DescribeCluster ----------------------------------------------------------

/** Reads the endpoint and CA of an ACTIVE cluster. */
export async function describeClusterAccess(eks: EKSClient, clusterName: string): Promise<ClusterAccess> {
  let cluster;
  try {
    ({ cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName })));
  } catch (error) {
    if ((error as { name?: unknown }).name === 'ResourceNotFoundException') {
      throw new KubernetesNotFoundError(`EKS cluster ${clusterName} does not exist`, { cause: error });
    }
    throw error; // throttling/5xx become AwsTransientError in the handler
  }
  if (!cluster) throw new KubernetesNotFoundError(`EKS cluster ${clusterName} does not exist`);
  if (cluster.status !== 'ACTIVE') {
    throw new KubernetesUnavailableError(`EKS cluster ${clusterName} is ${cluster.status ?? 'in an unknown state'}, not ACTIVE`);
  }
  const endpoint = cluster.endpoint;
  const caData = cluster.certificateAuthority?.data;
  if (!endpoint || !caData) {
    throw new KubernetesUnavailableError(`EKS cluster ${clusterName} has no endpoint or certificate authority yet`);
  }
  return { endpoint, caData };
}

// ---- bearer token -------------------------------------------------------------

export interface PresignOptions {
  clusterName: string;
  /** Region of the STS endpoint (the Lambda's own Region). */
  region: string;
  credentials: AwsCredentials;
  /** Signing time; defaults to the step clock so the drill's simulated time is consistent. */
  signingDate?: Date;
}

/**
 * Presigns `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15`
 * with `x-k8s-aws-id: <cluster>` as a signed header and `X-Amz-Expires=60`.
 */
export async function presignGetCallerIdentity(options: PresignOptions): Promise<string> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, [CLUSTER_ID_HEADER]: options.clusterName },
  });
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const signed = await signer.presign(request, {
    expiresIn: TOKEN_URL_EXPIRES_SECONDS,
    signingDate: options.signingDate ?? clock.now(),
  });
  return `https://${hostname}${signed.path}?${buildQuery(signed.query)}`;
}

function buildQuery(query: Record<string, string | Array<string> | null> = {}): string {
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    const values = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${rfc3986(key)}=${rfc3986(v)}`);
  }
  return parts.join('&');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k8s-aws-v1.` + base64url (no padding) of the presigned URL. Pure. */
export function encodeEksToken(presignedUrl: string): string {
  return EKS_TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

/** Mints a fresh bearer token. Call once per invocation: never cache it across invocations. */
export async function mintEksToken(options: PresignOptions): Promise<string> {
  return encodeEksToken(await presignGetCallerIdentity(options));
}

// ---- client factory -----------------------------------------------------------

/** Builds the API clients for one cluster. The CA is passed through the KubeConfig, not NODE_EXTRA_CA_CERTS. */
export function makeKubeApis(access: KubeAccess, options: { requestTimeoutMs?: number } = {}): KubeApis {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'eks', server: access.endpoint, caData: access.caData, skipTLSVerify: false }],
    users: [{ name: 'dr-cutover', token: access.token }],
    contexts: [{ name: 'dr-cutover', cluster: 'eks', user: 'dr-cutover' }],
    currentContext: 'dr-cutover',
  });
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), requestTimeoutMs: options.requestTimeoutMs };
}

/**
 * Per-request options that abort the request after the client's timeout: a middleware sets the
 * request's AbortSignal (@kubernetes/client-node passes it to fetch), appended to `options`'
 * own middleware. An aborted request fails with TimeoutError, mapped to KubernetesUnavailableError.
 */
export function withRequestTimeout(apis: KubeApis, options?: ConfigurationOptions<ObservableMiddleware>): ConfigurationOptions<ObservableMiddleware> {
  const timeoutMs = apis.requestTimeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
  const abortAfterTimeout: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { ...options, middleware: [...(options?.middleware ?? []), abortAfterTimeout], middlewareMergeStrategy: 'append' };
}

export interface KubeConnectorDeps {
  eks: EKSClient;
  region: string;
  credentials: AwsCredentials;
  /** The bound on each Kubernetes request (default KUBE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** The Kubernetes steps' connector in the Lambda: module-scope EKS client, the Lambda's Region and role. */
export function lambdaKubeConnector(): KubeConnector {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('Invalid Lambda environment: AWS_REGION is not set');
  return eksKubeConnector({
    eks: new EKSClient(awsClientConfig()),
    region,
    credentials: fromNodeProviderChain(),
    requestTimeoutMs: lambdaCallTimeouts().requestTimeoutMs,
  });
}

/** The handlers' connector: DescribeCluster, mint a fresh token and build clients on every call. */
export function eksKubeConnector(deps: KubeConnectorDeps): KubeConnector {
  return async (clusterName) => {
    const access = await describeClusterAccess(deps.eks, clusterName);
    const token = await mintEksToken({ clusterName, region: deps.region, credentials: deps.credentials });
    return makeKubeApis({ ...access, token }, { requestTimeoutMs: deps.requestTimeoutMs });
  };
}

// ---- error mapping ------------------------------------------------------------

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * The HTTP status of an answer the API server gave (the client's ApiException). Other errors may
 * carry a numeric `code` too: the TimeoutError of an aborted request is a DOMException with code 23.
 */
function httpStatusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** The `reason`/`message` of a Kubernetes Status body, if the error carries one. */
function statusDetail(error: unknown): string {
  const raw = (error as { body?: unknown }).body;
  let body: unknown = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw);
    } catch {
      return '';
    }
  }
  if (typeof body !== 'object' || body === null) return '';
  const { reason, message } = body as { reason?: unknown; message?: unknown };
  const parts = [typeof reason === 'string' ? reason : undefined, typeof message === 'string' ? message : undefined];
  const text = parts.filter((p): p is string => p !== undefined && p.length > 0).join(': ');
  return text.length > 0 ? ` (${text.slice(0, 300)})` : '';
}

function isNetworkFailure(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED/.test(code))) {
      return code;
    }
    if (name === 'AbortError' || name === 'TimeoutError') return String(name);
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') return 'fetch failed';
  return undefined;
}

/**
 * Maps a @kubernetes/client-node failure to a named error:
 * 401 → KubernetesAuthError (retried with a fresh token), 403 → KubernetesForbiddenError (permanent), 404 → KubernetesNotFoundError, 409 → KubernetesConflictError,
 * 429/5xx or a network failure → KubernetesUnavailableError. Other 4xx mean the step built a
 * request the API refuses (bad config data): StepContractError, never retried.
 * Messages name the operation and status only: the request (and its token) is never included.
 */
export function toKubernetesError(error: unknown, operation: string): Error {
  if (error instanceof CutoverError) return error;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const message = `${operation}: Kubernetes API answered ${status}${statusDetail(error)}`;
    if (status === 401) return new KubernetesAuthError(message);
    if (status === 403) {
      return new KubernetesForbiddenError(
        `${message}. RBAC forbids this request: bind the access entry's Kubernetes group with k8s/auth-cutover-rbac.yaml, then re-run`,
      );
    }
    if (status === 404) return new KubernetesNotFoundError(message);
    if (status === 409) return new KubernetesConflictError(message);
    if (status === 429 || status >= 500) return new KubernetesUnavailableError(message);
    return new StepContractError(message);
  }
  const network = isNetworkFailure(error);
  if (network !== undefined) {
    return new KubernetesUnavailableError(`${operation}: Kubernetes API unreachable (${network})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs one Kubernetes API call and maps its failure with toKubernetesError. */
export async function kubeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubernetesError(error, operation);
  }
}
