import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { HttpError, KubeObjectStore, type JsonObject, type RolloutOutcome, type SeedDeploymentOptions } from './objects';
import { authorizer, type RbacPolicy, type UserInfo } from './rbac';
import { verifyEksToken, type StaticCredentials } from './token';

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
  /**
   * Emulated RBAC (see rbac.ts): when set, a request is allowed only if a RoleBinding in the
   * request's namespace binds `identity` (its username or one of its groups) to a Role in that
   * namespace whose rules grant the verb on the resource (and name); anything else is 403.
   */
  rbac?: RbacPolicy;
  /**
   * Who an accepted token is: the username and groups the cluster's authenticator maps the IAM
   * identity to (on EKS, the access entry's username and Kubernetes groups).
   */
  identity?: UserInfo;
  /**
   * How long after a spec change the Deployment controller observes the new generation (default 0).
   * Until then the status is the one the controller last wrote: the old `observedGeneration` and
   * the old conditions, including a `Progressing` condition with reason ProgressDeadlineExceeded
   * left by an earlier stuck rollout.
   */
  observeDelayMs?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  contentType: string | undefined;
  /** The HTTP status answered (a lost response: the one the change got); 0: never answered (a hang, nothing applied). */
  status: number;
}

export interface FaultFilter {
  method?: string;
  /** Exact path, or a pattern tested against the path. */
  path?: string | RegExp;
}

export interface StandInEndpoint {
  /** `https://127.0.0.1:<port>` */
  endpoint: string;
  /** Base64 of the CA PEM, as EKS DescribeCluster returns `certificateAuthority.data`. */
  caData: string;
}

/**
 * What a faulted request gets: an HTTP status (a Kubernetes Status body, nothing changed), a
 * lost response (the request is served, then the connection is dropped before the answer), an
 * answer `delayMs` late (real time), or no answer at all (only the client's timeout ends it).
 */
export type KubeFaultKind = { kind: 'status'; status: number } | { kind: 'lost-response' } | { kind: 'delay'; delayMs: number } | { kind: 'hang' };

export interface KubeFault extends FaultFilter {
  remaining: number;
  /** The fault applies only while this says so (default: always). */
  active?: () => boolean;
  effect: KubeFaultKind;
}

type Fault = KubeFault;

/** Timers in real time: the drill fakes the global ones, and the stand-in answers in real time. */
const realSetTimeout = globalThis.setTimeout;

const MUTATING = new Set(['PATCH', 'PUT', 'POST', 'DELETE']);
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

// ---- the stand-in -------------------------------------------------------------

export class KubeApiStandIn {
  private readonly now: () => number;
  private readonly tokenMaxAgeMs: number;
  private readonly objects: KubeObjectStore;
  private readonly authorize: (resource: 'configmaps' | 'deployments', method: string, namespace: string, name: string) => void;
  private readonly faults: Fault[] = [];
  private readonly log: RequestLogEntry[] = [];
  private readonly authFailureLog: string[] = [];
  private server: https.Server | undefined;

  constructor(private readonly options: KubeApiStandInOptions = {}) {
    this.now = options.now ?? Date.now;
    this.tokenMaxAgeMs = options.tokenMaxAgeMs ?? 15 * 60_000;
    this.objects = new KubeObjectStore({
      now: this.now,
      rolloutDelayMs: options.rolloutDelayMs ?? 500,
      rolloutOutcome: options.rolloutOutcome ?? 'complete',
      observeDelayMs: options.observeDelayMs ?? 0,
    });
    this.authorize = options.rbac ? authorizer(options.rbac, options.identity ?? { username: 'anonymous', groups: [] }) : () => undefined;
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
    this.objects.seedConfigMap(namespace, name, data);
  }

  seedDeployment(namespace: string, name: string, options: SeedDeploymentOptions = {}): void {
    this.objects.seedDeployment(namespace, name, options);
  }

  /** The current ConfigMap (a copy), or undefined. */
  configMap(namespace: string, name: string): V1ConfigMap | undefined {
    return this.objects.configMap(namespace, name);
  }

  /** The current Deployment (a copy, status as of `now()`), or undefined. */
  deployment(namespace: string, name: string): V1Deployment | undefined {
    return this.objects.deployment(namespace, name);
  }

  /** See KubeObjectStore.leaveStuckRollout. */
  leaveStuckRollout(namespace: string, name: string): void {
    this.objects.leaveStuckRollout(namespace, name);
  }

  /** Rollouts started from now on end this way. */
  setRolloutOutcome(outcome: RolloutOutcome): void {
    this.objects.setRolloutOutcome(outcome);
  }

  /** See KubeObjectStore.unblockRollouts. */
  unblockRollouts(): void {
    this.objects.unblockRollouts();
  }

  /** See KubeApiStandInOptions.observeDelayMs; scenarios may change it. */
  get observeDelayMs(): number {
    return this.objects.observeDelayMs;
  }

  set observeDelayMs(ms: number) {
    this.objects.observeDelayMs = ms;
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
    this.faults.push({ ...filter, remaining: count, effect: { kind: 'status', status } });
  }

  /** Adds a fault of any kind (status, lost response, delay, hang) for matching requests. */
  addFault(fault: KubeFault): void {
    this.faults.push(fault);
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'https://stand-in').pathname;
    const body = await readBody(req);

    const fault = this.takeFault(method, path);
    const effect = fault?.effect;
    if (effect?.kind === 'status') {
      this.respond(req, res, statusBody(effect.status, REASONS[effect.status] ?? 'Failure', `injected fault ${effect.status}`));
      return;
    }
    if (effect?.kind === 'hang') {
      // Never answered: the connection stays open until the client gives up (or the server stops).
      this.log.push({ method, path, contentType: req.headers['content-type'], status: 0 });
      return;
    }
    if (effect?.kind === 'delay') await new Promise((resolve) => realSetTimeout(resolve, effect.delayMs));
    const lost = effect?.kind === 'lost-response';
    const authFailure = await verifyEksToken(req.headers.authorization, { now: this.now, tokenMaxAgeMs: this.tokenMaxAgeMs, expectedCluster: this.options.expectedCluster });
    if (authFailure !== undefined) {
      this.authFailureLog.push(authFailure);
      this.respond(req, res, statusBody(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    let answer: { status: number; body: JsonObject };
    try {
      answer = { status: 200, body: this.objects.serve(method, path, req.headers['content-type'], body, this.authorize) };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      answer = statusBody(error.status, error.reason, error.message, error.details);
    }
    if (lost) {
      // The change is applied; the connection drops before the answer leaves (the client sees a reset).
      this.log.push({ method, path, contentType: req.headers['content-type'], status: answer.status });
      req.socket.destroy();
      return;
    }
    this.respond(req, res, answer);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.active?.() ?? true) &&
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

}

// ---- helpers ------------------------------------------------------------------

function statusBody(status: number, reason: string, message: string, details?: JsonObject): { status: number; body: JsonObject } {
  const body: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status };
  if (details) body.details = details;
  return { status, body };
}


function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

