import type { EnvironmentConfigInput } from '../config';

/** The portforge production topology: Seoul primary, Tokyo warm standby. */
export const prod: EnvironmentConfigInput = {
  name: 'prod',
  primaryRegion: 'ap-northeast-2',
  standbyRegion: 'ap-northeast-1',
  rds: {
    primaryInstanceId: 'portforge-test-rds',
    replicaInstanceId: 'portforge-dr-rds-replica',
    maxReplicaLagSeconds: 0,
    // The primary's automated-backup retention, given to the replica when it is promoted.
    backupRetentionDays: 7,
    lagWait: { intervalSeconds: 15, maxAttempts: 40 },
    promotionPoll: { intervalSeconds: 30, maxAttempts: 60 },
  },
  dynamodb: { tables: ['team_chats_ddb', 'chat_rooms_ddb'] },
  eks: {
    clusterName: 'portforge-dr-cluster',
    namespace: 'portforge',
    configMapName: 'auth-config',
    deploymentName: 'auth',
    kubernetesGroup: 'dr-cutover',
    // The Auth ConfigMap's AWS_REGION and COGNITO_* keys are derived from standbyRegion and cognito.
    // The Lambdas reach the cluster's public endpoint; its publicAccessCidrs must admit them.
    lambdaAccess: 'public',
    rolloutPoll: { intervalSeconds: 10, maxAttempts: 60 },
  },
  cognito: { userPoolId: 'ap-northeast-1_PortforgeDR', appClientId: 'portforge-dr-client' },
  certificateId: 'portforge-dr-wildcard',
  cloudfront: {
    distributionId: 'E2PORTFORGEPROD',
    behaviors: [
      { pathPattern: '*', drOriginId: 'portforge-front-dr', dependsOnApi: false },
      { pathPattern: '/assets/*', drOriginId: 'portforge-front-dr', dependsOnApi: false },
      { pathPattern: '/api/*', drOriginId: 'portforge-alb-tokyo', dependsOnApi: true },
    ],
    deployPoll: { intervalSeconds: 30, maxAttempts: 40 },
  },
  route53: {
    hostedZoneId: 'Z0PORTFORGEORG',
    records: [
      { name: 'api.portforge.org', type: 'A' },
      { name: 'auth.portforge.org', type: 'A' },
    ],
    aliasTarget: {
      dnsName: 'portforge-dr-alb-123456789.ap-northeast-1.elb.amazonaws.com',
      hostedZoneId: 'Z14GRHDCWA56QT',
      evaluateTargetHealth: true,
    },
    syncPoll: { intervalSeconds: 10, maxAttempts: 30 },
  },
  dashboard: {
    primaryLoadBalancer: 'app/portforge-alb/0123456789abcdef',
    standbyLoadBalancer: 'app/portforge-dr-alb/fedcba9876543210',
    primaryClusterName: 'portforge-cluster',
  },
  endpoint: {
    url: 'https://api.portforge.org/health',
    // The API sets this header to the Region that served the request; verify requires the standby's.
    regionSignal: { type: 'header', name: 'x-served-region' },
    expectStatus: 200,
    timeoutMs: 5000,
    maxAttempts: 5,
  },
  slack: { webhookSecretName: 'portforge/slack-webhook', signingSecretName: 'portforge/slack-signing-secret' },
  approval: { requiredForManualRuns: false, timeoutMinutes: 30, approvers: [{ slackUserId: 'U0PORTFORGE1', name: 'sre-lead' }, { slackUserId: 'U0PORTFORGE2', name: 'platform-oncall' }] },
  alarms: {
    primaryHealthUrl: 'https://seoul.api.portforge.org/health',
    probeTimeoutMs: 5000,
    primaryUnhealthyMinutes: 3,
    replicaLagSeconds: 60,
    replicationLatencyMs: 5000,
  },
  limits: { executionTimeoutMinutes: 90, taskTimeoutSeconds: 60 },
};
