import { randomUUID } from 'node:crypto';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';

/**
 * The Kubernetes objects the stand-in serves: ConfigMaps and Deployments, JSON merge patches
 * (RFC 7396) with resourceVersion preconditions, and a Deployment rollout modelled on an
 * injectable time source.
 */

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type RolloutOutcome = 'complete' | 'progress-deadline-exceeded';

export interface SeedDeploymentOptions {
  replicas?: number;
  /** Pod template annotations. */
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
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

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }
}

/** Asked before an object is read or patched; throws HttpError 403 to refuse. */
export type Authorize = (resource: 'configmaps' | 'deployments', method: string, namespace: string, name: string) => void;

export interface ObjectStoreOptions {
  now: () => number;
  rolloutDelayMs: number;
  rolloutOutcome: RolloutOutcome;
  observeDelayMs: number;
}

const MERGE_PATCH = 'application/merge-patch+json';

const CONFIGMAP_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/;
const DEPLOYMENT_PATH = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/;

export class KubeObjectStore {
  private readonly now: () => number;
  private readonly rolloutDelayMs: number;
  private rolloutOutcome: RolloutOutcome;
  /** How long after a spec change the Deployment controller observes the new generation. */
  observeDelayMs: number;
  private readonly configMaps = new Map<string, JsonObject>();
  private readonly deployments = new Map<string, StoredDeployment>();
  private resourceVersion = 100;

  constructor(options: ObjectStoreOptions) {
    this.now = options.now;
    this.rolloutDelayMs = options.rolloutDelayMs;
    this.rolloutOutcome = options.rolloutOutcome;
    this.observeDelayMs = options.observeDelayMs;
  }

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


  /**
   * Serves GET and PATCH (JSON merge patch only) of a ConfigMap or Deployment path. `authorize` is
   * asked first (RBAC), with the resource, the verb's method, the namespace and the name.
   */
  serve(method: string, path: string, contentType: string | undefined, body: string, authorize: Authorize): JsonObject {
    const cm = CONFIGMAP_PATH.exec(path);
    if (cm) {
      const [namespace, name] = [decodeURIComponent(cm[1] ?? ''), decodeURIComponent(cm[2] ?? '')];
      authorize('configmaps', method, namespace, name);
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
      authorize('deployments', method, namespace, name);
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

export function isObject(value: unknown): value is JsonObject {
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
