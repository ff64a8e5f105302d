import type { V1Deployment } from '@kubernetes/client-node';
import type { z } from 'zod';
import { EksTargetSchema, PollInputSchema, type PollResult } from '../shared/contracts';
import type { KubeConnector } from '../shared/eks';
import { RolloutFailedError } from '../shared/errors';
import { readDeployment } from '../shared/kube';

export const STEP = 'Check Auth rollout';
export const CheckAuthRolloutInputSchema = PollInputSchema(EksTargetSchema);
export type CheckAuthRolloutInput = z.output<typeof CheckAuthRolloutInputSchema>;

export interface CheckAuthRolloutDeps {
  kube: KubeConnector;
}

export interface RolloutState {
  done: boolean;
  status: string;
}

/**
 * Rollout status exactly as `kubectl rollout status` decides it (kubectl
 * pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status), with its messages:
 * - until the controller has observed the latest generation, nothing in `status` describes this
 *   rollout (a `ProgressDeadlineExceeded` condition may be left from an earlier one): keep waiting;
 * - then ProgressDeadlineExceeded fails the rollout (RolloutFailedError);
 * - then it waits for every desired replica to be updated, old replicas to terminate and the
 *   updated replicas to be available. Missing counts are zero, as in the Go struct. Pure.
 */
export function rolloutState(deployment: V1Deployment): RolloutState {
  const name = deployment.metadata?.name ?? 'deployment';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (generation > observed) {
    return { done: false, status: 'Waiting for deployment spec update to be observed...' };
  }
  const deadline = status.conditions?.find((c) => c.type === 'Progressing');
  if (deadline?.reason === 'ProgressDeadlineExceeded') {
    throw new RolloutFailedError(
      `deployment "${name}" exceeded its progress deadline${deadline.message ? ` (${deadline.message})` : ''}. ` +
        'Find why the new pods do not become available (kubectl describe deployment, pod events), fix it, then re-run the cutover',
    );
  }
  const desired = deployment.spec?.replicas;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (desired !== undefined && updated < desired) {
    return { done: false, status: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
  }
  if (total > updated) {
    return { done: false, status: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { done: false, status: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { done: true, status: `deployment "${name}" successfully rolled out` };
}

/** One poll of the Auth rollout. Dry run: nothing was restarted, so there is nothing to wait for. */
export async function checkAuthRollout(deps: CheckAuthRolloutDeps, input: CheckAuthRolloutInput): Promise<PollResult> {
  const attempt = input.attempt + 1;
  if (input.dryRun) {
    return { step: STEP, done: true, attempt, status: 'dry run: rollout not checked' };
  }
  const { target } = input;
  const apis = await deps.kube(target.clusterName);
  const deployment = await readDeployment(apis, { namespace: target.namespace, name: target.deploymentName });
  const { done, status } = rolloutState(deployment);
  return { step: STEP, done, attempt, status };
}
