import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A real HTTPS Kubernetes API stand-in for tests and the local drill.
 *
 * It serves GET and PATCH (JSON merge patch only) for ConfigMaps and Deployments, checks the
 * EKS bearer token the way the cluster's authenticator would (aws-iam-authenticator's token
 * verifier: shape, presigned STS URL, `x-k8s-aws-id` signed, age; and optionally the signature for
 * one cluster, as STS checks it),
 * models a Deployment rollout on an injectable time source, injects faults, and records every
 * request (method, path, content type, status; never the token).
 */

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

// ---- types --------------------------------------------------------------------

type Json = string | number | boolean | null | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

export type RolloutOutcome = 'complete' | 'progress-deadline-exceeded';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface KubeApiStandInOptions {
  /** Time source in ms since the epoch (default Date.now); the drill passes its simulated clock. */
  now?: () => number;
  /** How long a rollout takes after a pod-template change (default 500 ms of `now()` time). */
  rolloutDelayMs?: number;
  /** What rollouts started from now on end in (default 'complete'). */
  rolloutOutcome?: RolloutOutcome;
  /** Tokens older than this are refused, as the EKS authenticator does (default 15 minutes). */
  tokenMaxAgeMs?: number;
  /**
   * Check the token is bound to this cluster: recompute the presigned URL's signature with these
   * credentials and `x-k8s-aws-id: <clusterName>` and compare. Without it only the shape is checked.
   */
  expectedCluster?: { clusterName: string; credentials: StaticCredentials };
  /** Emulated RBAC: when set, only these verbs on these resource names are allowed; anything else is 403. */
  rbac?: { configmaps?: RbacRule; deployments?: RbacRule };
  /**
   * How long after a spec change the Deployment controller observes the new generation (default 0).
   * Until then the status is the one the controller last wrote: the old `observedGeneration` and
   * the old conditions, including a `Progressing` condition with reason ProgressDeadlineExceeded
   * left by an earlier stuck rollout.
   */
  observeDelayMs?: number;
}

export interface RbacRule {
  verbs: Array<'get' | 'patch'>;
  resourceNames: string[];
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  contentType: string | undefined;
  status: number;
}

export interface FaultFilter {
  method?: string;
  /** Exact path, or a pattern tested against the path. */
  path?: string | RegExp;
}

export interface SeedDeploymentOptions {
  replicas?: number;
  /** Pod template annotations. */
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
}

export interface StandInEndpoint {
  /** `https://127.0.0.1:<port>` */
  endpoint: string;
  /** Base64 of the CA PEM, as EKS DescribeCluster returns `certificateAuthority.data`. */
  caData: string;
}

interface Fault extends FaultFilter {
  remaining: number;
  status: number;
}

interface Rollout {
  generation: number;
  startedAt: number;
  outcome: RolloutOutcome;
}

interface StoredDeployment {
  object: JsonObject;
  rollout?: Rollout;
  /** The status the controller last wrote, shown until it observes the current generation at `until`. */
  unobserved?: { status: Json; until: number };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }
}

const MUTATING = new Set(['PATCH', 'PUT', 'POST', 'DELETE']);
const MERGE_PATCH = 'application/merge-patch+json';
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const CONFIGMAP_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/;
const DEPLOYMENT_PATH = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/;

// ---- the stand-in -------------------------------------------------------------

export class KubeApiStandIn {
  private readonly now: () => number;
  private readonly rolloutDelayMs: number;
  private readonly tokenMaxAgeMs: number;
  private rolloutOutcome: RolloutOutcome;
  /** See KubeApiStandInOptions.observeDelayMs; scenarios may change it. */
  observeDelayMs: number;
  private readonly configMaps = new Map<string, JsonObject>();
  private readonly deployments = new Map<string, StoredDeployment>();
  private readonly faults: Fault[] = [];
  private readonly log: RequestLogEntry[] = [];
  private readonly authFailureLog: string[] = [];
  private server: https.Server | undefined;
  private resourceVersion = 100;

  constructor(private readonly options: KubeApiStandInOptions = {}) {
    this.now = options.now ?? Date.now;
    this.rolloutDelayMs = options.rolloutDelayMs ?? 500;
    this.tokenMaxAgeMs = options.tokenMaxAgeMs ?? 15 * 60_000;
    this.rolloutOutcome = options.rolloutOutcome ?? 'complete';
    this.observeDelayMs = options.observeDelayMs ?? 0;
  }

  // ---- lifecycle ----

  /** Generates a fresh self-signed certificate and listens on 127.0.0.1 on a free port. */
  async start(): Promise<StandInEndpoint> {
    if (this.server) throw new Error('KubeApiStandIn already started');
    const pems = await generate([{ name: 'commonName', value: 'kube-apiserver-stand-in' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 24 * 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      ],
    });
    const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.respond(req, res, statusBody(500, 'InternalError', error instanceof Error ? error.message : 'internal error'));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return { endpoint: `https://127.0.0.1:${port}`, caData: Buffer.from(pems.cert, 'utf8').toString('base64') };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- seeding and accessors ----

  seedConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    this.configMaps.set(key(namespace, name), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: this.newMetadata(namespace, name),
      data: { ...data },
    });
  }

  seedDeployment(namespace: string, name: string, options: SeedDeploymentOptions = {}): void {
    const object: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...this.newMetadata(namespace, name), generation: 1 },
      spec: {
        replicas: options.replicas ?? 2,
        progressDeadlineSeconds: options.progressDeadlineSeconds ?? 600,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations: { ...(options.annotations ?? {}) } },
          spec: { containers: [{ name, image: `${name}:stable` }] },
        },
      },
    };
    this.deployments.set(key(namespace, name), { object });
  }

  /** The current ConfigMap (a copy), or undefined. */
  configMap(namespace: string, name: string): V1ConfigMap | undefined {
    const object = this.configMaps.get(key(namespace, name));
    return object ? (clone(object) as V1ConfigMap) : undefined;
  }

  /** The current Deployment (a copy, status as of `now()`), or undefined. */
  deployment(namespace: string, name: string): V1Deployment | undefined {
    const stored = this.deployments.get(key(namespace, name));
    return stored ? this.materialize(stored) : undefined;
  }

  /**
   * An earlier rollout of the Deployment (a pod-template change before this run) got stuck: its
   * status reads `Progressing` False with reason ProgressDeadlineExceeded, and keeps that
   * condition until the controller observes a newer generation. Rollouts started from now on complete.
   * Kubernetes docs, Deployments, "Failed Deployment": once the deadline passes, the controller adds
   * type Progressing, status False, reason ProgressDeadlineExceeded to `.status.conditions`.
   */
  leaveStuckRollout(namespace: string, name: string): void {
    const stored = this.deployments.get(key(namespace, name));
    if (!stored) throw new Error(`no Deployment ${namespace}/${name} to leave stuck`);
    const generation = numberAt(stored.object, ['metadata', 'generation']) + 1;
    setPath(stored.object, ['metadata', 'generation'], generation);
    setPath(stored.object, ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'], new Date(this.now() - 3600_000).toISOString());
    stored.rollout = { generation, startedAt: this.now() - this.rolloutDelayMs, outcome: 'progress-deadline-exceeded' };
    this.rolloutOutcome = 'complete';
  }

  /** Rollouts started from now on end this way. */
  setRolloutOutcome(outcome: RolloutOutcome): void {
    this.rolloutOutcome = outcome;
  }

  /**
   * The cause of a stuck rollout is fixed (capacity, image): rollouts in progress or failed
   * complete `rolloutDelayMs` from now, as the Deployment controller keeps trying.
   */
  unblockRollouts(): void {
    this.rolloutOutcome = 'complete';
    for (const stored of this.deployments.values()) {
      if (stored.rollout?.outcome === 'progress-deadline-exceeded') {
        stored.rollout = { ...stored.rollout, startedAt: this.now(), outcome: 'complete' };
      }
    }
  }

  /** Drops every pending injected fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Every request so far (never the token). */
  get requests(): readonly RequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  /** Requests with a mutating method (PATCH/PUT/POST/DELETE), whatever their answer. */
  mutatingRequests(): RequestLogEntry[] {
    return this.log.filter((entry) => MUTATING.has(entry.method)).map((entry) => ({ ...entry }));
  }

  /** Why each refused token was refused (for test diagnostics; never the token itself). */
  get authFailures(): readonly string[] {
    return [...this.authFailureLog];
  }

  clearRequests(): void {
    this.log.length = 0;
    this.authFailureLog.length = 0;
  }

  /** The next `count` matching requests answer `status` with a Kubernetes Status body, changing nothing. */
  failNext(count: number, status: number, filter: FaultFilter = {}): void {
    this.faults.push({ ...filter, remaining: count, status });
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'https://stand-in').pathname;
    const body = await readBody(req);

    const fault = this.takeFault(method, path);
    if (fault) {
      this.respond(req, res, statusBody(fault.status, REASONS[fault.status] ?? 'Failure', `injected fault ${fault.status}`));
      return;
    }
    const authFailure = await this.checkToken(req.headers.authorization);
    if (authFailure !== undefined) {
      this.authFailureLog.push(authFailure);
      this.respond(req, res, statusBody(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    try {
      this.respond(req, res, { status: 200, body: this.route(method, path, req.headers['content-type'], body) });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.respond(req, res, statusBody(error.status, error.reason, error.message, error.details));
    }
  }

  private route(method: string, path: string, contentType: string | undefined, body: string): JsonObject {
    const cm = CONFIGMAP_PATH.exec(path);
    if (cm) {
      const [namespace, name] = [decodeURIComponent(cm[1] ?? ''), decodeURIComponent(cm[2] ?? '')];
      this.authorize('configmaps', method, namespace, name);
      const current = this.configMaps.get(key(namespace, name));
      if (!current) throw notFound('configmaps', name);
      if (method === 'GET') return clone(current) as JsonObject;
      if (method !== 'PATCH') throw methodNotAllowed(method);
      const patch = parsePatch(contentType, body);
      checkPrecondition('configmaps', name, current, patch);
      const next = mergePatch(current, stripServerFields(patch)) as JsonObject;
      restoreIdentity(next, current);
      validateConfigMap(next, name);
      if (!jsonEqual(next, current)) {
        setPath(next, ['metadata', 'resourceVersion'], this.nextResourceVersion());
        this.configMaps.set(key(namespace, name), next);
      }
      return clone(this.configMaps.get(key(namespace, name)) ?? next) as JsonObject;
    }

    const dep = DEPLOYMENT_PATH.exec(path);
    if (dep) {
      const [namespace, name] = [decodeURIComponent(dep[1] ?? ''), decodeURIComponent(dep[2] ?? '')];
      this.authorize('deployments', method, namespace, name);
      const stored = this.deployments.get(key(namespace, name));
      if (!stored) throw notFound('deployments', name, 'apps');
      if (method === 'GET') return this.materialize(stored);
      if (method !== 'PATCH') throw methodNotAllowed(method);
      const patch = parsePatch(contentType, body);
      checkPrecondition('deployments', name, stored.object, patch);
      const current = stored.object;
      const next = mergePatch(current, stripServerFields(patch)) as JsonObject;
      restoreIdentity(next, current);
      delete next.status;
      if (!jsonEqual(next, current)) {
        setPath(next, ['metadata', 'resourceVersion'], this.nextResourceVersion());
        if (!jsonEqual(next.spec ?? null, current.spec ?? null)) {
          const generation = numberAt(current, ['metadata', 'generation']) + 1;
          setPath(next, ['metadata', 'generation'], generation);
          const templateChanged = !jsonEqual(
            getPath(next, ['spec', 'template']) ?? null,
            getPath(current, ['spec', 'template']) ?? null,
          );
          // The controller reconciles asynchronously: until it observes this generation, readers see
          // the status it last wrote (observedGeneration < generation), as kubectl's rollout status expects.
          const observedAt = this.now() + this.observeDelayMs;
          if (this.observeDelayMs > 0) {
            stored.unobserved = { status: this.materialize(stored).status ?? null, until: observedAt };
          }
          if (templateChanged) {
            stored.rollout = { generation, startedAt: observedAt, outcome: this.rolloutOutcome };
          }
        }
        stored.object = next;
      }
      return this.materialize(stored);
    }

    throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
  }

  private authorize(resource: 'configmaps' | 'deployments', method: string, namespace: string, name: string): void {
    const rbac = this.options.rbac;
    if (!rbac) return;
    const verb = method === 'GET' ? 'get' : method === 'PATCH' ? 'patch' : method.toLowerCase();
    const rule = rbac[resource];
    const allowed = rule !== undefined && (rule.verbs as string[]).includes(verb) && rule.resourceNames.includes(name);
    if (!allowed) {
      const group = resource === 'deployments' ? 'apps' : '';
      throw new HttpError(
        403,
        'Forbidden',
        `${resource} "${name}" is forbidden: User "dr-cutover" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
        { name, group, kind: resource },
      );
    }
  }

  /** Returns why the token is refused, or undefined when it is accepted. Never includes the token. */
  private async checkToken(header: string | undefined): Promise<string | undefined> {
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
    const age = this.now() - signedAt.getTime();
    if (age > this.tokenMaxAgeMs) return 'token expired';
    if (age < -5 * 60_000) return 'token signed in the future';

    const expected = this.options.expectedCluster;
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

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path))),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  }

  private respond(req: IncomingMessage, res: ServerResponse, answer: { status: number; body: JsonObject }): void {
    const path = new URL(req.url ?? '/', 'https://stand-in').pathname;
    this.log.push({ method: (req.method ?? 'GET').toUpperCase(), path, contentType: req.headers['content-type'], status: answer.status });
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  // ---- object model ----

  private newMetadata(namespace: string, name: string): JsonObject {
    return {
      name,
      namespace,
      uid: randomUUID(),
      resourceVersion: this.nextResourceVersion(),
      creationTimestamp: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  private nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  /** The Deployment with `status` as the controller would report it at `now()`. */
  private materialize(stored: StoredDeployment): JsonObject {
    const object = clone(stored.object) as JsonObject;
    if (stored.unobserved && this.now() < stored.unobserved.until) {
      object.status = clone(stored.unobserved.status);
      return object;
    }
    const metadataName = getPath(object, ['metadata', 'name']);
    const name = typeof metadataName === 'string' ? metadataName : 'deployment';
    const generation = numberAt(object, ['metadata', 'generation']);
    const desired = typeof getPath(object, ['spec', 'replicas']) === 'number' ? numberAt(object, ['spec', 'replicas']) : 1;
    const rollout = stored.rollout;
    const elapsed = rollout ? this.now() - rollout.startedAt : Infinity;
    const available = condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.');
    const replicaSet = `ReplicaSet "${name}-${generation}"`;

    if (!rollout || (elapsed >= this.rolloutDelayMs && rollout.outcome === 'complete')) {
      object.status = {
        observedGeneration: generation,
        replicas: desired,
        updatedReplicas: desired,
        readyReplicas: desired,
        availableReplicas: desired,
        conditions: [
          available,
          condition('Progressing', 'True', 'NewReplicaSetAvailable', `${replicaSet} has successfully progressed.`),
        ],
      };
    } else if (elapsed < this.rolloutDelayMs) {
      object.status = {
        observedGeneration: generation,
        replicas: desired + 1,
        updatedReplicas: 0,
        readyReplicas: desired,
        availableReplicas: desired,
        unavailableReplicas: 1,
        conditions: [
          available,
          condition('Progressing', 'True', 'ReplicaSetUpdated', `${replicaSet} is progressing.`),
        ],
      };
    } else {
      object.status = {
        observedGeneration: generation,
        replicas: desired + 1,
        updatedReplicas: Math.min(1, desired),
        readyReplicas: desired,
        availableReplicas: desired,
        unavailableReplicas: 1,
        conditions: [
          available,
          condition('Progressing', 'False', 'ProgressDeadlineExceeded', `${replicaSet} has timed out progressing.`),
        ],
      };
    }
    return object;
  }
}

// ---- helpers ------------------------------------------------------------------

function condition(type: string, status: 'True' | 'False', reason: string, message: string): JsonObject {
  return { type, status, reason, message };
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function statusBody(status: number, reason: string, message: string, details?: JsonObject): { status: number; body: JsonObject } {
  const body: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status };
  if (details) body.details = details;
  return { status, body };
}

function notFound(kind: string, name: string, group?: string): HttpError {
  return new HttpError(404, 'NotFound', `${kind}${group ? `.${group}` : ''} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind,
  });
}

function methodNotAllowed(method: string): HttpError {
  return new HttpError(405, 'MethodNotAllowed', `the stand-in does not support ${method} on this resource`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parsePatch(contentType: string | undefined, body: string): JsonObject {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== MERGE_PATCH) {
    throw new HttpError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${MERGE_PATCH}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'BadRequest', 'the patch is not valid JSON');
  }
  if (!isObject(parsed)) throw new HttpError(400, 'BadRequest', 'a merge patch must be a JSON object');
  return parsed;
}

/** A merge patch carrying `metadata.resourceVersion` is a precondition: a stale one is 409 Conflict. */
function checkPrecondition(kind: string, name: string, current: JsonObject, patch: JsonObject): void {
  const wanted = getPath(patch, ['metadata', 'resourceVersion']);
  if (wanted === undefined || wanted === null) return;
  if (wanted !== getPath(current, ['metadata', 'resourceVersion'])) {
    throw new HttpError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, kind },
    );
  }
}

/** Fields the server owns: a patch cannot set them. */
function stripServerFields(patch: JsonObject): JsonObject {
  const copy = clone(patch) as JsonObject;
  const metadata = copy.metadata;
  if (isObject(metadata)) {
    for (const field of ['resourceVersion', 'generation', 'uid', 'creationTimestamp', 'name', 'namespace']) delete metadata[field];
  }
  delete copy.status;
  delete copy.kind;
  delete copy.apiVersion;
  return copy;
}

function restoreIdentity(next: JsonObject, current: JsonObject): void {
  next.kind = current.kind ?? null;
  next.apiVersion = current.apiVersion ?? null;
  for (const field of ['name', 'namespace', 'uid', 'creationTimestamp', 'resourceVersion', 'generation']) {
    const value = getPath(current, ['metadata', field]);
    if (value !== undefined) setPath(next, ['metadata', field], value);
  }
}

function validateConfigMap(object: JsonObject, name: string): void {
  const data = object.data;
  if (data === undefined) return;
  if (!isObject(data)) throw new HttpError(422, 'Invalid', `ConfigMap "${name}" is invalid: data must be an object`);
  for (const [k, v] of Object.entries(data)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k)) {
      throw new HttpError(
        422,
        'Invalid',
        `ConfigMap "${name}" is invalid: data[${k}]: Invalid value: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
      );
    }
    if (typeof v !== 'string') throw new HttpError(422, 'Invalid', `ConfigMap "${name}" is invalid: data[${k}] must be a string`);
  }
}

/** RFC 7396 JSON merge patch: null deletes a member, objects merge recursively, anything else (arrays too) replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? (clone(target) as JsonObject) : {};
  for (const [k, value] of Object.entries(patch)) {
    if (value === null) delete result[k];
    else result[k] = mergePatch(result[k], value);
  }
  return result;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T extends Json>(value: T): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function jsonEqual(a: Json, b: Json): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k] ?? null);
  return out;
}

function getPath(object: JsonObject, path: string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const segment of path) {
    if (!isObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function setPath(object: JsonObject, path: string[], value: Json): void {
  let current = object;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (isObject(next)) current = next;
    else {
      const created: JsonObject = {};
      current[segment] = created;
      current = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) current[last] = value;
}

function numberAt(object: JsonObject, path: string[]): number {
  const value = getPath(object, path);
  return typeof value === 'number' ? value : 0;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}
