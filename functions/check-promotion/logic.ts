import type { RDSClient } from '@aws-sdk/client-rds';
import type { CutoverMode, PollResult, RdsTarget } from '../shared/contracts';
import { PromotionFailedError, PromotionNotRequestedError } from '../shared/errors';
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
  /** The promote step's outcome this run; when given, a replica nobody asked to promote fails fast. */
  promoteOutcome?: string | undefined;
}

/**
 * One poll of the promotion. Done only when the instance is no longer a replica AND has no
 * replication StatusInfos AND is `available` or `backing-up`: right after PromoteReadReplica the
 * status is still `available` for a while, so polling for `available` alone reports success too
 * early. A promoted instance whose backups were off takes its first backup (`backing-up`) and is
 * standalone and writable meanwhile (RDS API reference, PromoteReadReplica), so that is done too:
 * a large database's first backup can outlast any poll bound.
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
  if (source !== undefined && input.promoteOutcome !== undefined && input.promoteOutcome !== 'changed') {
    throw new PromotionNotRequestedError(
      `RDS instance ${id} is still a replica of ${source} (${status}) and this run never asked RDS to promote it ` +
        `(promote step outcome: ${input.promoteOutcome}); waiting would only time out. Start the cutover again.`,
    );
  }
  const statusInfos = instance.StatusInfos ?? [];
  const done = (status === 'available' || status === 'backing-up') && source === undefined && statusInfos.length === 0;
  let described = `${status}, ${source === undefined ? 'standalone' : `replica of ${source}`}`;
  if (source === undefined && statusInfos.length > 0) {
    // Standalone but RDS still reports replication status: say why the poll is not done yet.
    described += `, status info: ${statusInfos.map((s) => `${s.StatusType ?? '?'} ${s.Status ?? '?'}`).join('; ')}`;
  }
  return { step: STEP_NAME, done, attempt, status: described };
}
