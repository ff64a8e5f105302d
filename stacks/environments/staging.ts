import type { EnvironmentConfigInput } from '../config';

/** The portforge staging topology: the same shape as prod with staging names, used for dry runs and drills. */
export const staging: EnvironmentConfigInput = {
  name: 'staging',
  primaryRegion: 'ap-northeast-2',
  standbyRegion: 'ap-northeast-1',
  rds: {
    primaryInstanceId: 'portforge-stg-rds',
    replicaInstanceId: 'portforge-stg-dr-rds-replica',
    maxReplicaLagSeconds: 0,
    // The primary's automated-backup retention, given to the replica when it is promoted.
    backupRetentionDays: 1,
    // 40 tries: ReplicaLag reaches CloudWatch 1 to 3 minutes late, so a drained lag shows up to 4 minutes after it drained.
    lagWait: { intervalSeconds: 15, maxAttempts: 40 },
    promotionPoll: { intervalSeconds: 30, maxAttempts: 60 },
  },
  dynamodb: { tables: ['team_chats_ddb_stg', 'chat_rooms_ddb_stg'] },
  eks: {
    clusterName: 'portforge-stg-dr-cluster',
    namespace: 'portforge',
    configMapName: 'auth-config',
    deploymentName: 'auth',
    kubernetesGroup: 'dr-cutover',
    // The Auth ConfigMap's AWS_REGION and COGNITO_* keys are derived from standbyRegion and cognito.
    // The Lambdas reach the cluster's public endpoint; its publicAccessCidrs must admit them.
    lambdaAccess: 'public',
    rolloutPoll: { intervalSeconds: 10, maxAttempts: 60 },
  },
  cognito: { userPoolId: 'ap-northeast-1_PortforgeStgDR', appClientId: 'portforge-stg-dr-client' },
  certificateId: 'portforge-stg-dr-wildcard',
  cloudfront: {
    distributionId: 'E2PORTFORGESTG',
    behaviors: [
      { pathPattern: '*', drOriginId: 'portforge-front-dr', dependsOnApi: false },
      { pathPattern: '/api/*', drOriginId: 'portforge-alb-tokyo', dependsOnApi: true },
    ],
    deployPoll: { intervalSeconds: 30, maxAttempts: 40 },
  },
  route53: {
    hostedZoneId: 'Z0PORTFORGESTG',
    records: [{ name: 'api.staging.portforge.org', type: 'A' }],
    aliasTarget: {
      dnsName: 'portforge-stg-dr-alb-123456789.ap-northeast-1.elb.amazonaws.com',
      hostedZoneId: 'Z14GRHDCWA56QT',
      evaluateTargetHealth: true,
    },
    syncPoll: { intervalSeconds: 10, maxAttempts: 30 },
  },
  dashboard: {
    primaryLoadBalancer: 'app/portforge-stg-alb/0123456789abcdef',
    standbyLoadBalancer: 'app/portforge-stg-dr-alb/fedcba9876543210',
    primaryClusterName: 'portforge-stg-cluster',
  },
  endpoint: {
    url: 'https://api.staging.portforge.org/health',
    // The API sets this header to the Region that served the request; verify requires the standby's.
    regionSignal: { type: 'header', name: 'x-served-region' },
    expectStatus: 200,
    timeoutMs: 5000,
    maxAttempts: 5,
  },
  slack: { webhookSecretName: 'portforge-staging/slack-webhook', signingSecretName: 'portforge-staging/slack-signing-secret' },
  approval: { requiredForManualRuns: false, timeoutMinutes: 30, approvers: [{ slackUserId: 'U0PORTFORGE1', name: 'sre-lead' }] },
  alarms: {
    primaryHealthUrl: 'https://seoul.api.staging.portforge.org/health',
    probeTimeoutMs: 5000,
    primaryUnhealthyMinutes: 3,
    replicaLagSeconds: 60,
    replicationLatencyMs: 5000,
  },
  limits: { executionTimeoutMinutes: 90, taskTimeoutSeconds: 60 },
};
