import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { Clock } from '../shared/clock';
import { EksTargetSchema, stepInput, type Change, type StepResult } from '../shared/contracts';
import type { KubeConnector } from '../shared/eks';
import { patchDeployment, readConfigMap, readDeployment, resourceVersionPrecondition } from '../shared/kube';

export const STEP = 'Restart Auth deployment';
export const RestartAuthDeploymentInputSchema = stepInput(EksTargetSchema);
export type RestartAuthDeploymentInput = z.output<typeof RestartAuthDeploymentInputSchema>;

/** What `kubectl rollout restart` sets; changing the pod template starts a rollout. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/**
 * Which ConfigMap the running pods were restarted for: the target data's hash plus the live
 * ConfigMap's resourceVersion. A retry finds it and does nothing; a ConfigMap that changed since
 * (a failback reverted it, someone edited it) gets a new restart.
 */
export const CONFIG_HASH_ANNOTATION = 'dr-cutover/config-hash';

export interface RestartAuthDeploymentDeps {
  kube: KubeConnector;
  clock: Clock;
}

export type RestartResult = StepResult & {
  /** `metadata.generation` after the restart (or now, if nothing changed); the rollout check waits for it. */
  generation: number;
};

/** Stable short hash of the target ConfigMap data: sha256 hex of the key-sorted entries, first 16 chars. */
export function configHash(data: Record<string, string>): string {
  const entries = Object.keys(data)
    .sort()
    .map((key) => [key, data[key] ?? '']);
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

/** The pod-template marker for the target data as held by this version of the live ConfigMap. */
export function restartMarker(data: Record<string, string>, configMapResourceVersion: string | undefined): string {
  return `${configHash(data)}-rv${configMapResourceVersion ?? '0'}`;
}

/**
 * Rollout restart of the Auth Deployment so its pods re-read the patched ConfigMap.
 * Runs once per ConfigMap version: if the pod template already carries its marker, it does nothing.
 */
export async function restartAuthDeployment(
  deps: RestartAuthDeploymentDeps,
  input: RestartAuthDeploymentInput,
): Promise<RestartResult> {
  const { target } = input;
  const ref = { namespace: target.namespace, name: target.deploymentName };
  const apis = await deps.kube(target.clusterName);
  const configMap = await readConfigMap(apis, { namespace: target.namespace, name: target.configMapName });
  const hash = restartMarker(target.configMapData, configMap.metadata?.resourceVersion);
  const deployment = await readDeployment(apis, ref);
  const annotations = deployment.spec?.template.metadata?.annotations ?? {};
  const generation = deployment.metadata?.generation ?? 0;

  if (annotations[CONFIG_HASH_ANNOTATION] === hash) {
    return { step: STEP, outcome: 'already-done', changes: [], generation };
  }

  const restartedAt = deps.clock.now().toISOString();
  const change: Change = {
    resource: `deployment/${target.namespace}/${target.deploymentName}`,
    action: 'rollout restart',
    before: {
      [CONFIG_HASH_ANNOTATION]: annotations[CONFIG_HASH_ANNOTATION] ?? null,
      [RESTARTED_AT_ANNOTATION]: annotations[RESTARTED_AT_ANNOTATION] ?? null,
    },
    after: { [CONFIG_HASH_ANNOTATION]: hash, [RESTARTED_AT_ANNOTATION]: restartedAt },
  };
  if (input.dryRun) return { step: STEP, outcome: 'would-change', changes: [change], generation };

  const patched = await patchDeployment(apis, ref, {
    ...resourceVersionPrecondition(deployment),
    spec: {
      template: {
        metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt, [CONFIG_HASH_ANNOTATION]: hash } },
      },
    },
  });
  return { step: STEP, outcome: 'changed', changes: [change], generation: patched.metadata?.generation ?? generation + 1 };
}
