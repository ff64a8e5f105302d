import 'aws-sdk-client-mock-jest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { KubeApiStandIn, type StandInEndpoint } from '../../drill/kube';
import { handler } from '../../functions/restart-auth-deployment';
import {
  CONFIG_HASH_ANNOTATION,
  configHash,
  RESTARTED_AT_ANNOTATION,
  restartAuthDeployment,
  restartMarker,
  type RestartAuthDeploymentInput,
} from '../../functions/restart-auth-deployment/logic';
import type { Clock } from '../../functions/shared/clock';
import { makeKubeApis, mintEksToken, type KubeConnector } from '../../functions/shared/eks';
import { lambdaContext } from '../support/lambda';

const CLUSTER = 'portforge-dr-cluster';
const NS = 'portforge';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDINTEST00002', secretAccessKey: 'stand-in-secret-key-for-tests-only' };
const DATA = { AWS_REGION: 'ap-northeast-1', COGNITO_REGION: 'ap-northeast-1', COGNITO_USER_POOL_ID: 'ap-northeast-1_DRPOOL' };
const T0 = new Date('2026-11-27T05:00:00.000Z');

function input(overrides: Partial<RestartAuthDeploymentInput> = {}): RestartAuthDeploymentInput {
  return {
    dryRun: false,
    mode: 'emergency',
    target: { clusterName: CLUSTER, namespace: NS, configMapName: 'auth-config', deploymentName: 'auth', configMapData: DATA },
    ...overrides,
  };
}

describe('configHash', () => {
  it('is a 16-character hex digest that ignores key order', () => {
    const reordered = { COGNITO_USER_POOL_ID: 'ap-northeast-1_DRPOOL', AWS_REGION: 'ap-northeast-1', COGNITO_REGION: 'ap-northeast-1' };

    expect(configHash(DATA)).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash(reordered)).toBe(configHash(DATA));
  });

  it('changes when any value changes', () => {
    expect(configHash({ ...DATA, COGNITO_USER_POOL_ID: 'other' })).not.toBe(configHash(DATA));
  });
});

describe('Restart Auth deployment', () => {
  let standIn: KubeApiStandIn;
  let access: StandInEndpoint;
  let kube: KubeConnector;
  const clock: Clock = { now: () => T0 };
  /** The marker for DATA as the stand-in's ConfigMap holds it now. */
  const marker = () => restartMarker(DATA, standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion);

  beforeEach(async () => {
    standIn = new KubeApiStandIn({ expectedCluster: { clusterName: CLUSTER, credentials: CREDENTIALS } });
    standIn.seedDeployment(NS, 'auth', { replicas: 3, annotations: { 'prometheus.io/scrape': 'true' } });
    standIn.seedConfigMap(NS, 'auth-config', DATA);
    access = await standIn.start();
    kube = async (clusterName) =>
      makeKubeApis({ ...access, token: await mintEksToken({ clusterName, region: 'ap-northeast-1', credentials: CREDENTIALS }) });
  });

  afterEach(async () => {
    await standIn.stop();
  });

  it('annotates the pod template with restartedAt and the config hash, bumping the generation', async () => {
    const result = await restartAuthDeployment({ kube, clock }, input());

    expect(result).toEqual({
      step: 'Restart Auth deployment',
      outcome: 'changed',
      generation: 2,
      changes: [
        {
          resource: 'deployment/portforge/auth',
          action: 'rollout restart',
          before: { [CONFIG_HASH_ANNOTATION]: null, [RESTARTED_AT_ANNOTATION]: null },
          after: { [CONFIG_HASH_ANNOTATION]: marker(), [RESTARTED_AT_ANNOTATION]: T0.toISOString() },
        },
      ],
    });
    const deployment = standIn.deployment(NS, 'auth');
    expect(deployment?.spec?.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      [RESTARTED_AT_ANNOTATION]: T0.toISOString(),
      [CONFIG_HASH_ANNOTATION]: marker(),
    });
    expect(deployment?.metadata?.generation).toBe(2);
    expect(standIn.mutatingRequests()).toEqual([
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/portforge/deployments/auth',
        contentType: 'application/merge-patch+json',
        status: 200,
      },
    ]);
  });

  it('restarts the deployment once even when retried', async () => {
    await restartAuthDeployment({ kube, clock }, input());
    const later: Clock = { now: () => new Date(T0.getTime() + 60_000) };
    const retried = await restartAuthDeployment({ kube, clock: later }, input());

    expect(retried).toEqual({ step: 'Restart Auth deployment', outcome: 'already-done', changes: [], generation: 2 });
    expect(standIn.mutatingRequests()).toHaveLength(1);
    expect(standIn.deployment(NS, 'auth')?.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(T0.toISOString());
  });

  it('restarts again when the target config changes', async () => {
    await restartAuthDeployment({ kube, clock }, input());
    const changedData = { ...DATA, COGNITO_USER_POOL_ID: 'ap-northeast-1_NEWPOOL' };

    const result = await restartAuthDeployment({ kube, clock }, input({ target: { ...input().target, configMapData: changedData } }));

    expect(result.outcome).toBe('changed');
    expect(result.generation).toBe(3);
    expect(result.changes[0]?.before).toEqual({ [CONFIG_HASH_ANNOTATION]: marker(), [RESTARTED_AT_ANNOTATION]: T0.toISOString() });
  });

  it('restarts again when the ConfigMap was rewritten since (a failback reverted it, a cutover re-patched it)', async () => {
    await restartAuthDeployment({ kube, clock }, input());
    // Same target data, but a new version of the ConfigMap: the running pods never saw this write.
    standIn.seedConfigMap(NS, 'auth-config', DATA);

    const result = await restartAuthDeployment({ kube, clock }, input());

    expect(result.outcome).toBe('changed');
    expect(standIn.deployment(NS, 'auth')?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe(marker());
  });

  it('dry run reports the annotation change and sends no PATCH', async () => {
    const result = await restartAuthDeployment({ kube, clock }, input({ dryRun: true }));

    expect(result.outcome).toBe('would-change');
    expect(result.generation).toBe(1);
    expect(result.changes).toEqual([
      expect.objectContaining({
        resource: 'deployment/portforge/auth',
        action: 'rollout restart',
        after: { [CONFIG_HASH_ANNOTATION]: marker(), [RESTARTED_AT_ANNOTATION]: T0.toISOString() },
      }),
    ]);
    expect(standIn.mutatingRequests()).toHaveLength(0);
    expect(standIn.deployment(NS, 'auth')?.metadata?.generation).toBe(1);
  });

  it('dry run after a real restart reports already-done', async () => {
    await restartAuthDeployment({ kube, clock }, input());
    standIn.clearRequests();

    const result = await restartAuthDeployment({ kube, clock }, input({ dryRun: true }));

    expect(result.outcome).toBe('already-done');
    expect(standIn.mutatingRequests()).toHaveLength(0);
  });

  it('maps a missing Deployment (404) to KubernetesNotFoundError', async () => {
    await expect(
      restartAuthDeployment({ kube, clock }, input({ target: { ...input().target, deploymentName: 'no-such-deployment' } })),
    ).rejects.toMatchObject({ name: 'KubernetesNotFoundError' });
    expect(standIn.mutatingRequests()).toHaveLength(0);
  });

  it('maps a conflicting PATCH (409) to KubernetesConflictError, and the retry restarts exactly once', async () => {
    standIn.failNext(1, 409, { method: 'PATCH' });

    await expect(restartAuthDeployment({ kube, clock }, input())).rejects.toMatchObject({ name: 'KubernetesConflictError' });
    const retried = await restartAuthDeployment({ kube, clock }, input());

    expect(retried.outcome).toBe('changed');
    expect(standIn.deployment(NS, 'auth')?.metadata?.generation).toBe(2);
  });

  it('maps a refused token (401) to KubernetesAuthError and an API failure (500) to KubernetesUnavailableError', async () => {
    standIn.failNext(1, 401);
    await expect(restartAuthDeployment({ kube, clock }, input())).rejects.toMatchObject({ name: 'KubernetesAuthError' });

    standIn.failNext(1, 500, { method: 'PATCH' });
    await expect(restartAuthDeployment({ kube, clock }, input())).rejects.toMatchObject({ name: 'KubernetesUnavailableError' });
    expect(standIn.deployment(NS, 'auth')?.metadata?.generation).toBe(1);
  });

  it('runs through the Lambda handler with a token minted from the node credential chain', async () => {
    const eks = mockClient(EKSClient);
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    eks.on(DescribeClusterCommand, { name: CLUSTER }).resolves({
      cluster: { name: CLUSTER, status: 'ACTIVE', endpoint: access.endpoint, certificateAuthority: { data: access.caData } },
    });
    try {
      const result = await handler(input(), lambdaContext());

      expect(result).toMatchObject({ step: 'Restart Auth deployment', outcome: 'changed', generation: 2 });
      expect(result.finishedAt).toEqual(expect.any(String));
      expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: CLUSTER });
      expect(standIn.authFailures).toEqual([]);
    } finally {
      process.env = saved;
      eks.restore();
    }
  });
});
