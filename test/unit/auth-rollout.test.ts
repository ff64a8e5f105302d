import 'aws-sdk-client-mock-jest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { V1Deployment } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { KubeApiStandIn, type StandInEndpoint } from '../../drill/kube';
import { handler } from '../../functions/check-auth-rollout';
import { checkAuthRollout, rolloutState, type CheckAuthRolloutInput } from '../../functions/check-auth-rollout/logic';
import { restartAuthDeployment } from '../../functions/restart-auth-deployment/logic';
import { makeKubeApis, mintEksToken, type KubeConnector } from '../../functions/shared/eks';
import { RolloutFailedError } from '../../functions/shared/errors';
import { lambdaContext } from '../support/lambda';

const CLUSTER = 'portforge-dr-cluster';
const NS = 'portforge';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDINTEST00003', secretAccessKey: 'stand-in-secret-key-for-tests-only' };
const T0 = Date.parse('2026-11-27T05:00:00.000Z');

function input(overrides: Partial<CheckAuthRolloutInput> = {}): CheckAuthRolloutInput {
  return {
    dryRun: false,
    mode: 'emergency',
    attempt: 0,
    target: {
      clusterName: CLUSTER,
      namespace: NS,
      configMapName: 'auth-config',
      deploymentName: 'auth',
      configMapData: { AWS_REGION: 'ap-northeast-1' },
    },
    ...overrides,
  };
}

function deployment(status: V1Deployment['status'], generation = 2, replicas = 3): V1Deployment {
  return { metadata: { name: 'auth', generation }, spec: { replicas, selector: {}, template: {} }, status };
}

describe('rolloutState', () => {
  it('is not done until the controller has observed the latest generation', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }),
    );
    expect(state).toEqual({ done: false, status: 'Waiting for deployment spec update to be observed...' });
  });

  it('is not done while pods of the old template are still running', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }),
    );
    expect(state).toEqual({ done: false, status: 'Waiting for deployment "auth" rollout to finish: 1 old replicas are pending termination...' });
  });

  it('treats missing status fields as zero', () => {
    expect(rolloutState(deployment(undefined))).toEqual({ done: false, status: 'Waiting for deployment spec update to be observed...' });
    expect(rolloutState(deployment({ observedGeneration: 2 }))).toEqual({
      done: false,
      status: 'Waiting for deployment "auth" rollout to finish: 0 out of 3 new replicas have been updated...',
    });
  });

  it('is done when every replica is updated, ready and available', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }),
    );
    expect(state).toEqual({ done: true, status: 'deployment "auth" successfully rolled out' });
  });

  it('waits, as kubectl does, until the updated replicas are available', () => {
    const state = rolloutState(
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1 }, 2, 2),
    );
    expect(state).toEqual({ done: false, status: 'Waiting for deployment "auth" rollout to finish: 1 of 2 updated replicas are available...' });
  });

  it('ignores a ProgressDeadlineExceeded condition left from an earlier rollout until the new generation is observed', () => {
    const leftover = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "auth-2" has timed out progressing.' }];
    const state = rolloutState(deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: leftover }, 3));
    expect(state).toEqual({ done: false, status: 'Waiting for deployment spec update to be observed...' });
    expect(() => rolloutState(deployment({ observedGeneration: 3, conditions: leftover }, 3))).toThrow(RolloutFailedError);
  });

  it('throws RolloutFailedError on ProgressDeadlineExceeded', () => {
    expect(() =>
      rolloutState(
        deployment({
          observedGeneration: 2,
          updatedReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }],
        }),
      ),
    ).toThrow(RolloutFailedError);
  });
});

describe('Check Auth rollout', () => {
  let now: number;
  let standIn: KubeApiStandIn;
  let access: StandInEndpoint;
  let kube: KubeConnector;
  const clock = { now: () => new Date(now) };

  beforeEach(async () => {
    now = T0;
    standIn = new KubeApiStandIn({ now: () => now, rolloutDelayMs: 90_000 });
    standIn.seedDeployment(NS, 'auth', { replicas: 3 });
    standIn.seedConfigMap(NS, 'auth-config', { COGNITO_REGION: 'ap-northeast-1' });
    access = await standIn.start();
    kube = async (clusterName) =>
      makeKubeApis({
        ...access,
        token: await mintEksToken({ clusterName, region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: new Date(now) }),
      });
  });

  afterEach(async () => {
    await standIn.stop();
  });

  it('reports not-done during the rollout and done once it completes', async () => {
    await restartAuthDeployment({ kube, clock }, input());

    now += 30_000;
    const first = await checkAuthRollout({ kube }, input());
    now += 60_000;
    const second = await checkAuthRollout({ kube }, input({ attempt: first.attempt }));

    expect(first).toEqual({
      step: 'Check Auth rollout',
      done: false,
      attempt: 1,
      status: 'Waiting for deployment "auth" rollout to finish: 0 out of 3 new replicas have been updated...',
    });
    expect(second).toEqual({ step: 'Check Auth rollout', done: true, attempt: 2, status: 'deployment "auth" successfully rolled out' });
    expect(standIn.mutatingRequests()).toHaveLength(1);
  });

  it('throws RolloutFailedError when the rollout exceeds its progress deadline', async () => {
    standIn.setRolloutOutcome('progress-deadline-exceeded');
    await restartAuthDeployment({ kube, clock }, input());

    now += 30_000;
    await expect(checkAuthRollout({ kube }, input())).resolves.toMatchObject({ done: false });
    now += 600_000;
    await expect(checkAuthRollout({ kube }, input({ attempt: 1 }))).rejects.toMatchObject({
      name: 'RolloutFailedError',
      message: expect.stringContaining('progress deadline') as string,
    });
  });

  it('waits through a leftover ProgressDeadlineExceeded until the controller observes the restart, then completes', async () => {
    standIn.leaveStuckRollout(NS, 'auth');
    standIn.observeDelayMs = 20_000;
    await restartAuthDeployment({ kube, clock }, input());

    now += 10_000;
    const stale = standIn.deployment(NS, 'auth');
    expect(stale?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
    expect(stale?.status?.observedGeneration).toBeLessThan(stale?.metadata?.generation ?? 0);
    await expect(checkAuthRollout({ kube }, input())).resolves.toMatchObject({
      done: false,
      status: 'Waiting for deployment spec update to be observed...',
    });
    now += 20_000;
    await expect(checkAuthRollout({ kube }, input({ attempt: 1 }))).resolves.toMatchObject({ done: false });
    now += 90_000;
    await expect(checkAuthRollout({ kube }, input({ attempt: 2 }))).resolves.toMatchObject({ done: true });
  });

  it('dry run is done at once without calling the API', async () => {
    const result = await checkAuthRollout({ kube }, input({ dryRun: true, attempt: 4 }));

    expect(result).toEqual({ step: 'Check Auth rollout', done: true, attempt: 5, status: 'dry run: rollout not checked' });
    expect(standIn.requests).toHaveLength(0);
  });

  it('maps a missing Deployment (404) to KubernetesNotFoundError', async () => {
    await expect(
      checkAuthRollout({ kube }, input({ target: { ...input().target, deploymentName: 'gone' } })),
    ).rejects.toMatchObject({ name: 'KubernetesNotFoundError' });
  });

  it('maps 401 to KubernetesAuthError and 503 to KubernetesUnavailableError', async () => {
    standIn.failNext(1, 401);
    await expect(checkAuthRollout({ kube }, input())).rejects.toMatchObject({ name: 'KubernetesAuthError' });
    standIn.failNext(1, 503);
    await expect(checkAuthRollout({ kube }, input())).rejects.toMatchObject({ name: 'KubernetesUnavailableError' });
  });

  it('counts attempts through the Lambda handler, defaulting the first attempt to 0', async () => {
    const eks = mockClient(EKSClient);
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    eks.on(DescribeClusterCommand).resolves({
      cluster: { name: CLUSTER, status: 'ACTIVE', endpoint: access.endpoint, certificateAuthority: { data: access.caData } },
    });
    try {
      const { attempt: _omitted, ...withoutAttempt } = input();
      // The real handler signs with the system clock, so keep the stand-in's clock real here.
      now = Date.now();

      const result = await handler(withoutAttempt, lambdaContext());

      expect(result).toMatchObject({ step: 'Check Auth rollout', done: true, attempt: 1, status: 'deployment "auth" successfully rolled out' });
      expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
    } finally {
      process.env = saved;
      eks.restore();
    }
  });
});
