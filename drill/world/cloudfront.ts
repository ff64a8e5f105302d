import {
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  PreconditionFailed,
  UpdateDistributionCommand,
  type Distribution as CloudFrontDistribution,
  type DistributionConfig,
  type GetDistributionCommandInput,
  type GetDistributionCommandOutput,
  type GetDistributionConfigCommandInput,
  type GetDistributionConfigCommandOutput,
  type UpdateDistributionCommandInput,
  type UpdateDistributionCommandOutput,
} from '@aws-sdk/client-cloudfront';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

export interface Distribution {
  config: DistributionConfig;
  etag: number;
  /** Simulated ms of the last update. */
  updatedAt: number | null;
  /** The Tokyo origins removeDrOrigin took away, for restoreDrOrigin. */
  removedOrigins?: NonNullable<DistributionConfig['Origins']> | undefined;
}

export function installCloudFront(world: SimulatedWorld): void {
  const on = stubClient(world, CloudFrontClient);
  on(GetDistributionConfigCommand, (_input: GetDistributionConfigCommandInput): Answer<GetDistributionConfigCommandOutput> => ({
    DistributionConfig: structuredClone(world.distribution.config),
    ETag: `E${world.distribution.etag}`,
  }));
  on(UpdateDistributionCommand, (input: UpdateDistributionCommandInput): Answer<UpdateDistributionCommandOutput> => {
    if (input.IfMatch !== `E${world.distribution.etag}`) {
      throw new PreconditionFailed({ message: 'The request failed because it didn\'t meet the preconditions', $metadata: { httpStatusCode: 412 } });
    }
    const before = behaviorOrigins(world);
    world.distribution.config = structuredClone(input.DistributionConfig ?? world.distribution.config);
    world.distribution.etag += 1;
    world.distribution.updatedAt = world.now();
    const after = behaviorOrigins(world);
    const moved = Object.keys(after).filter((k) => after[k] !== before[k]);
    world.effects.push({ kind: 'cloudfront-update', detail: moved.sort().join(',') });
    return { ETag: `E${world.distribution.etag}`, Distribution: { Id: world.config.cloudfront.distributionId, Status: 'InProgress' } as CloudFrontDistribution };
  });
  on(GetDistributionCommand, (_input: GetDistributionCommandInput): Answer<GetDistributionCommandOutput> => ({
    Distribution: { Id: world.config.cloudfront.distributionId, Status: distributionStatus(world) } as CloudFrontDistribution,
    ETag: `E${world.distribution.etag}`,
  }));
}

/** The distribution loses its Tokyo origins (a misconfiguration the switch must refuse). */
export function removeDrOrigin(world: SimulatedWorld): void {
  const drIds = new Set(world.config.cloudfront.behaviors.map((b) => b.drOriginId));
  const origins = world.distribution.config.Origins;
  world.distribution.removedOrigins = structuredClone(origins);
  const kept = (origins?.Items ?? []).filter((o) => !drIds.has(o.Id ?? ''));
  world.distribution.config.Origins = { Quantity: kept.length, Items: kept };
}

export function restoreDrOrigin(world: SimulatedWorld): void {
  if (world.distribution.removedOrigins) world.distribution.config.Origins = world.distribution.removedOrigins;
  world.distribution.etag += 1;
}

export function behaviorOrigins(world: SimulatedWorld): Record<string, string | undefined> {
  const cfg = world.distribution.config;
  const out: Record<string, string | undefined> = { '*': cfg.DefaultCacheBehavior?.TargetOriginId };
  for (const b of cfg.CacheBehaviors?.Items ?? []) if (b.PathPattern) out[b.PathPattern] = b.TargetOriginId;
  return out;
}

export function distributionStatus(world: SimulatedWorld): 'Deployed' | 'InProgress' {
  const { updatedAt } = world.distribution;
  if (updatedAt === null) return 'Deployed';
  return !world.cloudfrontNeverDeploys && world.now() - updatedAt >= world.timing.cloudfrontDeploySeconds * 1000 ? 'Deployed' : 'InProgress';
}
