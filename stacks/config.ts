import { z } from 'zod';
import { ApproverSchema, AWS_REGION_PATTERN, DEFAULT_REGION_HEADER, RegionSignalSchema } from '../functions/shared/contracts';
import type {
  BehaviorTarget,
  DistributionTarget,
  EksTarget,
  EndpointTarget,
  PreflightTarget,
  RdsTarget,
  DnsZoneTarget,
  RecordTarget,
  TableTarget,
} from '../functions/shared/contracts';

const id = z.string().trim().min(1);
const region = z.string().regex(AWS_REGION_PATTERN, 'must be an AWS Region code such as ap-northeast-1');
const seconds = z.number().int().positive();

/** The Auth ConfigMap keys derived from `standbyRegion` and `cognito.*` (never set directly). */
export const DERIVED_CONFIGMAP_KEYS = ['AWS_REGION', 'COGNITO_REGION', 'COGNITO_USER_POOL_ID', 'COGNITO_APP_CLIENT_ID'] as const;

/** The derived Auth ConfigMap values: the standby Region and the Cognito pool and client preflight checks. */
function derivedConfigMapData(c: { standbyRegion: string; cognito: { userPoolId: string; appClientId: string } }): Record<(typeof DERIVED_CONFIGMAP_KEYS)[number], string> {
  return {
    AWS_REGION: c.standbyRegion,
    COGNITO_REGION: c.standbyRegion,
    COGNITO_USER_POOL_ID: c.cognito.userPoolId,
    COGNITO_APP_CLIENT_ID: c.cognito.appClientId,
  };
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

const PollSchema = z.strictObject({
  intervalSeconds: seconds,
  maxAttempts: z.number().int().positive().max(500),
});

/**
 * Route 53 developer guide, "Choosing a routing policy" and ResourceRecordSet.SetIdentifier: records with a
 * routing policy share a name and type and differ by SetIdentifier. The cutover switches the configured
 * record set only, keeping its routing fields and health check; failover and weighted records are supported.
 */
const UNSUPPORTED_ROUTING = {
  region: 'latency',
  geoLocation: 'geolocation',
  geoProximityLocation: 'geoproximity',
  multiValueAnswer: 'multivalue answer',
  cidrRoutingConfig: 'IP-based',
} as const;

export const RecordConfigSchema = z
  .strictObject({
    name: id,
    type: z.enum(['A', 'AAAA']),
    /** The record's hosted zone when it is not `route53.hostedZoneId`. */
    hostedZoneId: id.optional(),
    /** Routing-policy records only: the SetIdentifier of the one record set to switch. */
    setIdentifier: z.string().min(1).max(128).optional(),
    /** Failover records: which of the pair this is. */
    failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
    /** Weighted records: the record's weight (kept as it is; only the alias target changes). */
    weight: z.number().int().min(0).max(255).optional(),
    ...Object.fromEntries(Object.keys(UNSUPPORTED_ROUTING).map((k) => [k, z.unknown().optional()])),
  })
  .superRefine((r, ctx) => {
    for (const [field, policy] of Object.entries(UNSUPPORTED_ROUTING)) {
      if ((r as Record<string, unknown>)[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${policy} routing is not supported; only failover and weighted records can be switched` });
      }
    }
    const routing = [r.failover !== undefined ? 'failover' : null, r.weight !== undefined ? 'weight' : null].filter((x) => x !== null);
    if (routing.length > 1) ctx.addIssue({ code: 'custom', path: ['weight'], message: 'a record has one routing policy: set failover or weight, not both' });
    if (routing.length > 0 && r.setIdentifier === undefined) {
      ctx.addIssue({ code: 'custom', path: ['setIdentifier'], message: `a ${routing[0] ?? ''} record needs the setIdentifier of the record set to switch` });
    }
    if (routing.length === 0 && r.setIdentifier !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['setIdentifier'], message: 'setIdentifier needs its routing policy: set failover (PRIMARY|SECONDARY) or weight' });
    }
  });
export type RecordConfig = z.output<typeof RecordConfigSchema>;

/** Route 53 refuses a simple record beside routed ones of the same name and type, and one identity twice. */
function checkRecordSets(records: RecordConfig[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  records.forEach((r, i) => {
    const name = r.name.toLowerCase().replace(/\.$/, '');
    const identity = `${r.hostedZoneId ?? ''}|${name}|${r.type}|${r.setIdentifier ?? ''}`;
    if (seen.has(identity)) ctx.addIssue({ code: 'custom', path: [i], message: `${r.name} ${r.type}${r.setIdentifier ? ` (${r.setIdentifier})` : ''} is listed twice` });
    seen.set(identity, i);
    const mixed = records.find(
      (o) => o !== r && (o.hostedZoneId ?? '') === (r.hostedZoneId ?? '') && o.name.toLowerCase().replace(/\.$/, '') === name && o.type === r.type && (o.setIdentifier === undefined) !== (r.setIdentifier === undefined),
    );
    if (mixed && r.setIdentifier === undefined) {
      ctx.addIssue({ code: 'custom', path: [i], message: `${r.name} ${r.type} cannot be both a simple record and a routing-policy record (Route 53 allows one or the other)` });
    }
  });
}

/** The typed per-environment configuration. Every target the cutover touches comes from here. */
export const EnvironmentConfigSchema = z
  .strictObject({
    name: z.enum(['staging', 'prod']),
    /** 12-digit account id; from `-c account=` or CDK_DEFAULT_ACCOUNT, never committed. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
    primaryRegion: region,
    standbyRegion: region,
    rds: z.strictObject({
      primaryInstanceId: id,
      replicaInstanceId: id,
      /** RPO budget: planned mode waits until ReplicaLag is at or under this (I7). */
      maxReplicaLagSeconds: z.number().nonnegative().default(0),
      /**
       * Automated-backup retention (days) the promoted instance gets: PromoteReadReplica is sent
       * with it explicitly. The primary's retention: the control plane never reads the failing
       * primary, so each environment states it here (required: a default would silently differ
       * from the primary's, and the API's own default of 1 day leaves a new primary a one-day
       * recovery window). At least 1: backups must be on for a later failback replica.
       */
      backupRetentionDays: z.number().int().min(1).max(35),
      /** Planned mode: how long promotion may wait for lag to drain (retries of the lag check). */
      lagWait: PollSchema,
      promotionPoll: PollSchema,
    }),
    dynamodb: z.strictObject({
      // Bounded so the run's state stays under Step Functions' 256 KiB (see npm run bench).
      tables: z.array(id).min(1).max(100),
    }),
    eks: z.strictObject({
      clusterName: id,
      namespace: id,
      configMapName: id,
      deploymentName: id,
      /** Kubernetes group the cutover role's EKS access entry maps to; bind it with k8s/auth-cutover-rbac.yaml. */
      kubernetesGroup: id,
      /**
       * Extra keys for the Auth ConfigMap. AWS_REGION, COGNITO_REGION, COGNITO_USER_POOL_ID and
       * COGNITO_APP_CLIENT_ID are derived from `standbyRegion` and `cognito.*`, the values preflight
       * checks, so the two cannot drift apart: leave them out (a different value is rejected).
       */
      configMapData: z.record(z.string().min(1), z.string()).default({}),
      /**
       * Where the Kubernetes steps' Lambdas reach the cluster's API endpoint from: `public` (the
       * endpoint's public access, whose CIDRs must admit `lambdaEgressCidrs`, or 0.0.0.0/0 when no
       * egress CIDRs are given) or `vpc` (the Lambdas run in the cluster's VPC; private access must be on).
       */
      lambdaAccess: z
        .enum(['public', 'vpc'])
        .default('public')
        // The stack runs the Kubernetes steps outside any VPC: a 'vpc' setting would pass preflight
        // and then fail to reach a private-only endpoint mid-cutover.
        .refine((a) => a === 'public', "'vpc' is not supported yet: the stack runs the Kubernetes steps outside any VPC, so they reach the cluster only through its public endpoint"),
      /**
       * Public egress addresses of the Lambdas (e.g. the NAT gateways' Elastic IPs), as IPv4 CIDRs.
       * Not supported yet for the same reason: outside a VPC a Lambda has no fixed egress address,
       * so the public endpoint must admit 0.0.0.0/0.
       */
      lambdaEgressCidrs: z
        .array(z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR such as 203.0.113.10/32'))
        .min(1)
        .refine(() => false, 'not supported yet: the Kubernetes steps run outside any VPC and have no fixed egress address, so the public endpoint must admit 0.0.0.0/0')
        .optional(),
      rolloutPoll: PollSchema,
    }),
    cognito: z.strictObject({
      userPoolId: id,
      appClientId: id,
    }),
    /** The standby Region's ACM certificate id (the ARN is built with the deploy account). */
    certificateId: id,
    cloudfront: z.strictObject({
      distributionId: id,
      behaviors: z
        .array(
          z.strictObject({
            pathPattern: id,
            drOriginId: id,
            dependsOnApi: z.boolean(),
          }),
        )
        .min(1),
      deployPoll: PollSchema,
    }),
    route53: z.strictObject({
      hostedZoneId: id,
      // One ChangeBatch per zone holds every record: 100 alias UPSERTs stay far inside Route 53's batch quotas.
      records: z.array(RecordConfigSchema).min(1).max(100).superRefine(checkRecordSets),
      /** The Tokyo ALB the records switch to. */
      aliasTarget: z.strictObject({
        dnsName: id,
        hostedZoneId: id,
        evaluateTargetHealth: z.boolean().default(true),
      }),
      syncPoll: PollSchema,
    }),
    endpoint: z.strictObject({
      url: z.url({ protocol: /^https?$/ }),
      /**
       * How the endpoint names the Region that served the request; the verify step requires the
       * standby Region. A 200 alone proves nothing: resolvers keep the old answer for the record's
       * TTL, and in planned mode the primary still answers 200. Default: the `x-served-region` header.
       */
      regionSignal: RegionSignalSchema.default({ type: 'header', name: DEFAULT_REGION_HEADER }),
      expectStatus: z.number().int().min(100).max(599).default(200),
      timeoutMs: z.number().int().positive().default(5000),
      maxAttempts: z.number().int().positive().default(5),
    }),
    slack: z.strictObject({
      /** Secrets Manager secret holding the incoming-webhook URL. */
      webhookSecretName: id,
      /** Secrets Manager secret holding the Slack app's signing secret (approval buttons). */
      signingSecretName: id,
    }),
    approval: z.strictObject({
      /** Manual starts wait for approval too (alarm-triggered runs always do). */
      requiredForManualRuns: z.boolean().default(false),
      timeoutMinutes: z.number().int().positive().max(24 * 60).default(30),
      /** Slack users allowed to approve or deny, by Slack user id (e.g. U0123ABCD). */
      approvers: z.array(ApproverSchema).min(1),
    }),
    alarms: z.strictObject({
      /** The primary Region's health URL, probed from the standby Region every minute. */
      primaryHealthUrl: z.url({ protocol: /^https?$/ }),
      probeTimeoutMs: z.number().int().positive().max(30_000).default(5000),
      /** Minutes the primary must fail in a row before its alarm fires (dwell time against flapping). */
      primaryUnhealthyMinutes: z.number().int().min(2).max(60).default(3),
      replicaLagSeconds: z.number().positive().default(60),
      /** DynamoDB ReplicationLatency toward the standby Region. */
      replicationLatencyMs: z.number().positive().default(5000),
    }),
    dashboard: z.strictObject({
      /** ALB `LoadBalancer` metric dimensions (app/<name>/<id>) in each Region. */
      primaryLoadBalancer: id,
      standbyLoadBalancer: id,
      /** The primary Region's EKS cluster, for Container Insights node metrics beside the standby's. */
      primaryClusterName: id,
    }),
    limits: z.strictObject({
      /** Whole-execution timeout; also the lock's expiry, so a timed-out run cannot hold the lock forever. */
      executionTimeoutMinutes: z.number().int().positive().max(24 * 60),
      taskTimeoutSeconds: seconds.min(15).max(900),
    }),
  })
  .refine((c) => c.primaryRegion !== c.standbyRegion, {
    message: 'primaryRegion and standbyRegion must differ',
    path: ['standbyRegion'],
  })
  .superRefine((c, ctx) => {
    const derived = derivedConfigMapData(c);
    for (const key of DERIVED_CONFIGMAP_KEYS) {
      const value = c.eks.configMapData[key];
      if (value !== undefined && value !== derived[key]) {
        ctx.addIssue({
          code: 'custom',
          path: ['eks', 'configMapData', key],
          message: `is derived (${derived[key]}, from ${key.endsWith('REGION') ? 'standbyRegion' : 'cognito'}); remove it or set the source instead`,
        });
      }
    }
  })
  // The Auth service's Region and Cognito keys come from what preflight checks.
  .transform((c) => ({
    ...c,
    eks: {
      ...c.eks,
      configMapData: { ...c.eks.configMapData, ...derivedConfigMapData(c) },
    },
  }));

export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates one environment's config; the error names the environment and every bad field. */
export function parseConfig(envName: string, raw: unknown): EnvironmentConfig {
  const parsed = EnvironmentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues
      .map((i) => `  - ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('\n');
    throw new ConfigError(`Invalid config for environment '${envName}':\n${fields}`);
  }
  return parsed.data;
}

/** The deployed targets, as the state machine hands them to the steps. */
export interface RuntimeTargets {
  environment: string;
  rds: RdsTarget;
  tables: TableTarget[];
  eks: EksTarget;
  staticEdge: DistributionTarget;
  apiEdge: DistributionTarget;
  /** One entry per hosted zone: its records switch in one ChangeBatch. */
  dnsZones: DnsZoneTarget[];
  endpoint: EndpointTarget;
  preflight: PreflightTarget;
}

/** `certificateArn` is built by the stack from the deploy account and `certificateId`. */
export function toRuntimeTargets(config: EnvironmentConfig, certificateArn: string): RuntimeTargets {
  const behaviors = (dependsOnApi: boolean): BehaviorTarget[] =>
    config.cloudfront.behaviors.filter((b) => b.dependsOnApi === dependsOnApi);
  return {
    environment: config.name,
    rds: {
      replicaInstanceId: config.rds.replicaInstanceId,
      primaryInstanceId: config.rds.primaryInstanceId,
      primaryRegion: config.primaryRegion,
      maxReplicaLagSeconds: config.rds.maxReplicaLagSeconds,
      backupRetentionDays: config.rds.backupRetentionDays,
    },
    tables: config.dynamodb.tables.map((tableName) => ({
      tableName,
      primaryRegion: config.primaryRegion,
      standbyRegion: config.standbyRegion,
    })),
    eks: {
      clusterName: config.eks.clusterName,
      namespace: config.eks.namespace,
      configMapName: config.eks.configMapName,
      deploymentName: config.eks.deploymentName,
      configMapData: config.eks.configMapData,
    },
    staticEdge: { distributionId: config.cloudfront.distributionId, behaviors: behaviors(false) },
    apiEdge: { distributionId: config.cloudfront.distributionId, behaviors: behaviors(true) },
    dnsZones: dnsZones(config),
    endpoint: {
      url: config.endpoint.url,
      expectRegion: config.standbyRegion,
      regionSignal: config.endpoint.regionSignal,
      expectStatus: config.endpoint.expectStatus,
      timeoutMs: config.endpoint.timeoutMs,
    },
    preflight: {
      recordNames: config.route53.records.map((r) => r.name),
      eksAccess: { mode: config.eks.lambdaAccess, ...(config.eks.lambdaEgressCidrs ? { egressCidrs: config.eks.lambdaEgressCidrs } : {}) },
      primaryRegion: config.primaryRegion,
      standbyRegion: config.standbyRegion,
      replicaInstanceId: config.rds.replicaInstanceId,
      tables: config.dynamodb.tables,
      clusterName: config.eks.clusterName,
      certificateArn,
      userPoolId: config.cognito.userPoolId,
      appClientId: config.cognito.appClientId,
      maxReplicaLagSeconds: config.rds.maxReplicaLagSeconds,
      dnsZones: dnsZones(config),
    },
  };
}

/** The configured records grouped by hosted zone, in config order. */
export function dnsZones(config: EnvironmentConfig): DnsZoneTarget[] {
  const zones = new Map<string, RecordTarget[]>();
  for (const r of config.route53.records) {
    const zoneId = r.hostedZoneId ?? config.route53.hostedZoneId;
    const record: RecordTarget = {
      name: r.name,
      type: r.type,
      ...(r.setIdentifier !== undefined ? { setIdentifier: r.setIdentifier } : {}),
      ...(r.failover !== undefined ? { failover: r.failover } : {}),
      ...(r.weight !== undefined ? { weight: r.weight } : {}),
    };
    zones.set(zoneId, [...(zones.get(zoneId) ?? []), record]);
  }
  return [...zones].map(([hostedZoneId, records]) => ({ hostedZoneId, aliasTarget: config.route53.aliasTarget, records }));
}
