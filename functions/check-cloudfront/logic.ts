import { type CloudFrontClient, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import type { DistributionTarget, PollResult } from '../shared/contracts';
import { DistributionMisconfiguredError, errorName } from '../shared/errors';

export const STEP_NAME = 'Check CloudFront deployed';

/** Status reported when nothing was switched (dry run or no behaviours), so there is nothing to wait for. */
export const SKIPPED_STATUS = 'skipped';

export interface CheckCloudFrontDeps {
  cloudfront: CloudFrontClient;
}

export interface CheckCloudFrontInput {
  dryRun: boolean;
  attempt: number;
  target: DistributionTarget;
}

/** One poll: done once the distribution's Status is Deployed (InProgress until the edge has the new config). */
export async function checkCloudFront(deps: CheckCloudFrontDeps, input: CheckCloudFrontInput): Promise<PollResult> {
  const attempt = input.attempt + 1;
  if (input.dryRun || input.target.behaviors.length === 0) {
    return { step: STEP_NAME, done: true, attempt, status: SKIPPED_STATUS };
  }
  const { distributionId } = input.target;
  let status: string | undefined;
  try {
    const out = await deps.cloudfront.send(new GetDistributionCommand({ Id: distributionId }));
    status = out.Distribution?.Status;
  } catch (error) {
    if (errorName(error) === 'NoSuchDistribution') {
      throw new DistributionMisconfiguredError(`Distribution ${distributionId} does not exist`, { cause: error });
    }
    throw error;
  }
  return { step: STEP_NAME, done: status === 'Deployed', attempt, status: status ?? 'unknown' };
}
