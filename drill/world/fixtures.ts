import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { loadAllYaml } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig, RuntimeTargets } from '../../stacks/config';
import { rbacFromManifests, type KubeApiStandIn, type RbacPolicy, type UserInfo } from '../kube';
import { zoneOf } from './route53';
import { canonicalName, SimulatedHostedZone } from './route53-zone';
import type { SimulatedWorld } from './simulated-world';

/** Route 53 FAQ: alias records that point to an ELB load balancer have a fixed TTL of 60 seconds. */
export const ALIAS_TTL_SECONDS = 60;

/** The Slack side of the simulated world: the incoming webhook and the app's signing secret. */
export const WORLD_SLACK = {
  webhookUrl: 'https://hooks.slack.com/services/TDRILL000/BDRILL000/local-drill-webhook',
  /** Where the approval callback replaces the approval message after a click. */
  responseUrlPrefix: 'https://hooks.slack.com/actions/TDRILL000/',
  signingSecret: 'local-drill-slack-signing-secret',
};

/** The simulated account's id (the account the stack is synthesized for in the drill). */
export const WORLD_ACCOUNT = '123456789012';

/** Static credentials for the simulated account: the Kubernetes steps presign STS URLs with them. */
export const WORLD_CREDENTIALS = { accessKeyId: 'AKIDLOCALDRILL', secretAccessKey: 'local-drill-secret-key' };

/**
 * The team's Tokyo certificate: a wildcard for each parent domain of the switched records, plus the
 * parent itself (a wildcard covers exactly one label, so the apex is listed too).
 */
export function certificateNamesFor(targets: RuntimeTargets): { domainName: string; subjectAlternativeNames: string[] } {
  const recordNames = targets.dnsZones.flatMap((z) => z.records.map((r) => r.name));
  const parents = [...new Set(recordNames.map((n) => n.toLowerCase().replace(/\.$/, '').split('.').slice(1).join('.')))];
  const names = parents.flatMap((p) => [`*.${p}`, p]);
  return { domainName: names[0] ?? '*.example.org', subjectAlternativeNames: names };
}

/** The Auth ConfigMap and Deployment as they are before a cutover (pointing at the primary Region). */
export function seedKube(kube: KubeApiStandIn, config: EnvironmentConfig): void {
  kube.seedConfigMap(config.eks.namespace, config.eks.configMapName, {
    AWS_REGION: config.primaryRegion,
    COGNITO_REGION: config.primaryRegion,
    COGNITO_USER_POOL_ID: `${config.primaryRegion}_PrimaryPool`,
    COGNITO_APP_CLIENT_ID: 'primary-client',
    LOG_LEVEL: 'info',
  });
  kube.seedDeployment(config.eks.namespace, config.eks.deploymentName, { replicas: 2 });
}

/**
 * Each configured record as the zone's owner made it, an alias to the primary Region's ALB. A routing-policy
 * record comes with its sibling, already aliased to the DR target as a failover SECONDARY (or a second weight)
 * usually is: reading the record by name and type alone finds the sibling first (it sorts before 'seoul'-style
 * identifiers) and takes the switch for done.
 */
export function seedZones(world: SimulatedWorld): void {
  const primaryAlb = { DNSName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', HostedZoneId: 'ZWKZPGTI48KDX', EvaluateTargetHealth: true };
  const drAlb = { DNSName: `${canonicalName(world.config.route53.aliasTarget.dnsName)}.`, HostedZoneId: world.config.route53.aliasTarget.hostedZoneId, EvaluateTargetHealth: true };
  const records = world.config.route53.records;
  for (const r of records) {
    const id = r.hostedZoneId ?? world.config.route53.hostedZoneId;
    if (!world.zones.has(id)) {
      const names = records.filter((o) => (o.hostedZoneId ?? world.config.route53.hostedZoneId) === id).map((o) => canonicalName(o.name));
      world.zones.set(id, new SimulatedHostedZone(id, commonDomain(names)));
    }
    const zone = zoneOf(world, r);
    const routing = r.failover ? { Failover: r.failover } : r.weight !== undefined ? { Weight: r.weight } : {};
    zone.seed({
      Name: r.name,
      Type: r.type,
      ...(r.setIdentifier ? { SetIdentifier: r.setIdentifier, HealthCheckId: `hc-${r.setIdentifier}` } : {}),
      ...routing,
      AliasTarget: primaryAlb,
    });
    if (r.setIdentifier === undefined) continue;
    const sibling = r.failover
      ? { SetIdentifier: r.failover === 'PRIMARY' ? 'secondary' : 'primary', Failover: r.failover === 'PRIMARY' ? ('SECONDARY' as const) : ('PRIMARY' as const) }
      : { SetIdentifier: 'other', Weight: 0 };
    if (zone.get(r.name, r.type, sibling.SetIdentifier) || records.some((o) => o.name === r.name && o.type === r.type && o.setIdentifier === sibling.SetIdentifier)) continue;
    zone.seed({ Name: r.name, Type: r.type, ...sibling, AliasTarget: drAlb });
  }
}

/** The longest common parent domain of a zone's record names (at least two labels): the zone's name. */
function commonDomain(names: string[]): string {
  const split = names.map((n) => n.split('.').reverse());
  const first = split[0] ?? ['org', 'example'];
  let common = 0;
  while (common < first.length - 1 && split.every((labels) => labels[common] === first[common] && labels.length > common + 1)) common += 1;
  return first.slice(0, Math.max(common, 2)).reverse().join('.');
}

/** A realistic distribution: a Seoul origin and a Tokyo origin per configured behaviour. */
export function initialDistributionConfig(config: EnvironmentConfig): DistributionConfig {
  const drOrigins = [...new Set(config.cloudfront.behaviors.map((b) => b.drOriginId))];
  const primaryOf = (dr: string) => `${dr}-primary`;
  const behavior = (pathPattern: string, origin: string) => ({
    PathPattern: pathPattern,
    TargetOriginId: origin,
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    Compress: true,
  });
  const byPattern = new Map(config.cloudfront.behaviors.map((b) => [b.pathPattern, b.drOriginId]));
  const patterns = [...byPattern.keys()].filter((p) => p !== '*');
  return {
    CallerReference: 'portforge',
    Comment: 'portforge front',
    Enabled: true,
    Aliases: { Quantity: 1, Items: ['www.portforge.org'] },
    Origins: {
      Quantity: drOrigins.length * 2,
      Items: drOrigins.flatMap((id) => [
        { Id: primaryOf(id), DomainName: `${primaryOf(id)}.ap-northeast-2.example.com`, OriginPath: '', CustomHeaders: { Quantity: 0 } },
        { Id: id, DomainName: `${id}.ap-northeast-1.example.com`, OriginPath: '', CustomHeaders: { Quantity: 0 } },
      ]),
    },
    DefaultCacheBehavior: behavior('*', primaryOf(byPattern.get('*') ?? drOrigins[0] ?? 'origin')),
    CacheBehaviors: {
      Quantity: patterns.length,
      Items: patterns.map((p) => behavior(p, primaryOf(byPattern.get(p) ?? ''))),
    },
    ViewerCertificate: { ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/edge', SSLSupportMethod: 'sni-only' },
    PriceClass: 'PriceClass_200',
  };
}

/** The Role and RoleBinding in k8s/auth-cutover-rbac.yaml, as the stand-in's RBAC policy. */
export function shippedRbac(): RbacPolicy {
  return rbacFromManifests(loadAllYaml(fs.readFileSync(path.join(__dirname, '..', '..', 'k8s', 'auth-cutover-rbac.yaml'), 'utf8')) as unknown[]);
}

/**
 * Who the cutover Lambdas' EKS token is inside the cluster. The token verifies to the Kubernetes
 * steps' IAM role (the session the Lambda runs as), and the stack's EKS access entry
 * (`AWS::EKS::AccessEntry`, type STANDARD, `KubernetesGroups: [eks.kubernetesGroup]`, no username)
 * maps that role to a username and the configured group. EKS User Guide, "Create access entries":
 * without a username, EKS generates `arn:aws:sts::<account>:assumed-role/<role name>/{{SessionName}}`
 * for an IAM role; Lambda names the session after the function. (The role's real name is generated at
 * deploy time; the world uses a readable one. Authorization depends only on the groups.)
 */
export function kubernetesStepsIdentity(config: EnvironmentConfig): UserInfo {
  return {
    username: `arn:aws:sts::${config.account ?? WORLD_ACCOUNT}:assumed-role/${config.name}-KubernetesStepsRole/dr-cutover-${config.name}-kubernetes-step`,
    groups: [config.eks.kubernetesGroup],
  };
}
