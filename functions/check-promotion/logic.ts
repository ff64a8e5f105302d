import type { RDSClient } from '@aws-sdk/client-rds';
import type { CutoverMode, PollResult, RdsTarget } from '../shared/contracts';
import { PromotionFailedError } from '../shared/errors';
import { describeInstance, isFailedStatus, replicaSource } from '../promote-replica/logic';

export const STEP_NAME = 'Check RDS promotion';

export interface CheckPromotionDeps {
  rds: RDSClient;
}

export interface CheckPromotionInput {
  dryRun: boolean;
  mode: CutoverMode;
  target: RdsTarget;
  attempt: number;
}

/**
 * One poll of the promotion. Done only when the instance is `available` AND no longer a replica
 * AND has no replication StatusInfos: right after PromoteReadReplica the status is still
 * `available` for a while, so polling for `available` alone reports success too early.
 */
export async function checkPromotion(deps: CheckPromotionDeps, input: CheckPromotionInput): Promise<PollResult> {
  const attempt = input.attempt + 1;
  const id = input.target.replicaInstanceId;
  if (input.dryRun) {
    return { step: STEP_NAME, done: true, attempt, status: 'dry run: not polled' };
  }

  const instance = await describeInstance(deps.rds, id);
  if (instance === null) {
    throw new PromotionFailedError(`RDS instance ${id} does not exist in the standby Region`);
  }
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (isFailedStatus(status)) {
    throw new PromotionFailedError(`RDS instance ${id} is ${status}; the promotion failed`);
  }
  const source = replicaSource(instance);
  const statusInfos = instance.StatusInfos ?? [];
  const done = status === 'available' && source === undefined && statusInfos.length === 0;
  let described = `${status}, ${source === undefined ? 'standalone' : `replica of ${source}`}`;
  if (source === undefined && statusInfos.length > 0) {
    // Standalone but RDS still reports replication status: say why the poll is not done yet.
    described += `, status info: ${statusInfos.map((s) => `${s.StatusType ?? '?'} ${s.Status ?? '?'}`).join('; ')}`;
  }
  return { step: STEP_NAME, done, attempt, status: described };
}
