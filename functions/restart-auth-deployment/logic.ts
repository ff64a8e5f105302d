import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { Clock } from '../shared/clock';
import { EksTargetSchema, stepInput, type Change, type StepResult } from '../shared/contracts';
import type { KubeConnector } from '../shared/eks';
import { patchDeployment, readDeployment, resourceVersionPrecondition } from '../shared/kube';

export const STEP = 'Restart Auth deployment';
export const RestartAuthDeploymentInputSchema = stepInput(EksTargetSchema);
export type RestartAuthDeploymentInput = z.output<typeof RestartAuthDeploymentInputSchema>;

/** What `kubectl rollout restart` sets; changing the pod template starts a rollout. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** Which ConfigMap data the running pods were restarted for; makes the restart idempotent. */
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

/**
 * Rollout restart of the Auth Deployment so its pods re-read the patched ConfigMap.
 * Runs once per config: if the pod template already carries this config's hash, it does nothing.
 */
export async function restartAuthDeployment(
  deps: RestartAuthDeploymentDeps,
  input: RestartAuthDeploymentInput,
): Promise<RestartResult> {
  const { target } = input;
  const ref = { namespace: target.namespace, name: target.deploymentName };
  const hash = configHash(target.configMapData);
  const apis = await deps.kube(target.clusterName);
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
