import {
  type CloudFrontClient,
  type DistributionConfig,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import type { BehaviorTarget, Change, DistributionTarget, StepResult } from '../shared/contracts';
import { arnAccount, provePermissions, type PermissionDeps } from '../shared/permissions';
import {
  AwsTransientError,
  DistributionConfigChangedError,
  DistributionMisconfiguredError, errorName } from '../shared/errors';

export const STEP_NAME = 'Switch CloudFront origins';

/** `*` in the deployed targets stands for the distribution's DefaultCacheBehavior. */
export const DEFAULT_BEHAVIOR_PATTERN = '*';

/** How many read → update rounds the step tries when the ETag goes stale under it. */
export const MAX_UPDATE_ATTEMPTS = 3;

export interface SwitchCloudFrontDeps {
  cloudfront: CloudFrontClient;
  /** Dry run only: proves the role may make the update (iam:SimulatePrincipalPolicy). */
  permissions: PermissionDeps;
}

export interface SwitchCloudFrontInput {
  dryRun: boolean;
  target: DistributionTarget;
}

export type SwitchCloudFrontResult = StepResult & { distributionId: string };

/** One cache behaviour whose origin would move. */
export interface BehaviorSwitch {
  pathPattern: string;
  before: string | undefined;
  after: string;
}

/**
 * Points each configured behaviour at its DR origin. Pure: returns a copy of the config
 * in which only those behaviours' TargetOriginId differ, plus the list of switches
 * (empty when every behaviour already targets its DR origin).
 * Throws DistributionMisconfiguredError, before any change, when a behaviour or DR origin
 * named in the targets does not exist in the distribution.
 */
export function switchBehaviors(
  config: DistributionConfig,
  behaviors: readonly BehaviorTarget[],
): { config: DistributionConfig; changes: BehaviorSwitch[] } {
  const next = structuredClone(config);
  const originIds = new Set<string>();
  for (const origin of next.Origins?.Items ?? []) if (origin.Id) originIds.add(origin.Id);
  for (const group of next.OriginGroups?.Items ?? []) if (group.Id) originIds.add(group.Id);

  const problems: string[] = [];
  const wanted = new Map<string, string>();
  for (const behavior of behaviors) {
    const earlier = wanted.get(behavior.pathPattern);
    if (earlier !== undefined && earlier !== behavior.drOriginId) {
      problems.push(`behaviour ${behavior.pathPattern} is configured twice with different DR origins`);
    }
    wanted.set(behavior.pathPattern, behavior.drOriginId);
    if (!originIds.has(behavior.drOriginId)) {
      problems.push(`DR origin ${behavior.drOriginId} (for ${behavior.pathPattern}) is not an origin or origin group`);
    }
    const exists =
      behavior.pathPattern === DEFAULT_BEHAVIOR_PATTERN
        ? next.DefaultCacheBehavior !== undefined
        : (next.CacheBehaviors?.Items ?? []).some((b) => b.PathPattern === behavior.pathPattern);
    if (!exists) problems.push(`cache behaviour ${behavior.pathPattern} does not exist`);
  }
  if (problems.length > 0) {
    throw new DistributionMisconfiguredError(`Distribution config does not match the targets: ${problems.join('; ')}`);
  }

  const changes: BehaviorSwitch[] = [];
  for (const [pathPattern, drOriginId] of wanted) {
    const behavior =
      pathPattern === DEFAULT_BEHAVIOR_PATTERN
        ? next.DefaultCacheBehavior
        : next.CacheBehaviors?.Items?.find((b) => b.PathPattern === pathPattern);
    if (behavior === undefined || behavior.TargetOriginId === drOriginId) continue;
    changes.push({ pathPattern, before: behavior.TargetOriginId, after: drOriginId });
    behavior.TargetOriginId = drOriginId;
  }
  return { config: next, changes };
}

export function toChange(distributionId: string, s: BehaviorSwitch): Change {
  return {
    resource: `cloudfront/${distributionId}/behavior/${s.pathPattern}`,
    action: 'set origin',
    before: s.before,
    after: s.after,
  };
}

async function readConfig(
  cloudfront: CloudFrontClient,
  distributionId: string,
): Promise<{ config: DistributionConfig; etag: string }> {
  try {
    const out = await cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId }));
    if (out.DistributionConfig === undefined || out.ETag === undefined) {
      throw new AwsTransientError(`GetDistributionConfig for ${distributionId} returned no config or ETag`);
    }
    return { config: out.DistributionConfig, etag: out.ETag };
  } catch (error) {
    if (errorName(error) === 'NoSuchDistribution') {
      throw new DistributionMisconfiguredError(`Distribution ${distributionId} does not exist`, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads the distribution config, switches the configured behaviours to their DR origins and
 * writes it back with IfMatch. A stale ETag (PreconditionFailed) is retried here by re-reading,
 * up to MAX_UPDATE_ATTEMPTS rounds, then surfaces as DistributionConfigChangedError.
 */
export async function switchCloudFront(
  deps: SwitchCloudFrontDeps,
  input: SwitchCloudFrontInput,
): Promise<SwitchCloudFrontResult> {
  const { distributionId, behaviors } = input.target;
  const result = (outcome: StepResult['outcome'], changes: Change[]): SwitchCloudFrontResult => ({
    step: STEP_NAME,
    outcome,
    changes,
    distributionId,
  });
  if (behaviors.length === 0) return result('already-done', []);

  for (let attempt = 1; ; attempt += 1) {
    const { config, etag } = await readConfig(deps.cloudfront, distributionId);
    const plan = switchBehaviors(config, behaviors);
    const changes = plan.changes.map((s) => toChange(distributionId, s));
    if (changes.length === 0) return result('already-done', []);
    if (input.dryRun) {
      // CloudFront ARNs have no Region: arn:aws:cloudfront::<account>:distribution/<id>.
      await provePermissions(deps.permissions, [
        { action: 'cloudfront:UpdateDistribution', resourceArns: [`arn:aws:cloudfront::${arnAccount(deps.permissions.roleArn)}:distribution/${distributionId}`] },
      ]);
      return result('would-change', changes);
    }
    try {
      await deps.cloudfront.send(
        new UpdateDistributionCommand({ Id: distributionId, IfMatch: etag, DistributionConfig: plan.config }),
      );
      return result('changed', changes);
    } catch (error) {
      if (errorName(error) !== 'PreconditionFailed') throw error;
      if (attempt >= MAX_UPDATE_ATTEMPTS) {
        throw new DistributionConfigChangedError(
          `Distribution ${distributionId} changed between read and update ${attempt} times (PreconditionFailed)`,
          { cause: error },
        );
      }
    }
  }
}
