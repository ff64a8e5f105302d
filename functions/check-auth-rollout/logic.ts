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
 * The rollout is complete when the controller has observed the latest generation and every
 * desired replica is updated, ready and (if reported) available, with no old pods left.
 * Throws RolloutFailedError when the Deployment reports ProgressDeadlineExceeded. Pure.
 */
export function rolloutState(deployment: V1Deployment): RolloutState {
  const name = deployment.metadata?.name ?? 'deployment';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1; // the API server defaults spec.replicas to 1
  const observed = status.observedGeneration ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const total = status.replicas;
  const available = status.availableReplicas;

  const deadline = status.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (deadline) {
    throw new RolloutFailedError(
      `Deployment ${name} exceeded its progress deadline (${updated}/${desired} updated)${deadline.message ? `: ${deadline.message}` : ''}`,
    );
  }

  const done =
    observed >= generation &&
    updated === desired &&
    ready === desired &&
    (available === undefined || available === desired) &&
    (total === undefined || total === desired);
  const oldPods = total !== undefined && total > updated ? `, ${total - updated} old pod(s) still running` : '';
  return {
    done,
    status: `${updated}/${ready}/${desired} ready, observedGeneration ${observed} of ${generation}${oldPods}`,
  };
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
