import 'aws-sdk-client-mock-jest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { KubeApiStandIn, type StandInEndpoint } from '../../drill/kube';
import { handler } from '../../functions/patch-auth-config';
import { patchAuthConfig, type PatchAuthConfigInput } from '../../functions/patch-auth-config/logic';
import { makeKubeApis, mintEksToken, type KubeConnector } from '../../functions/shared/eks';
import { TRANSIENT_ERRORS } from '../../functions/shared/errors';
import { lambdaContext } from '../support/lambda';

const CLUSTER = 'portforge-dr-cluster';
const NS = 'portforge';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDINTEST00001', secretAccessKey: 'stand-in-secret-key-for-tests-only' };

const TOKYO = {
  AWS_REGION: 'ap-northeast-1',
  COGNITO_REGION: 'ap-northeast-1',
  COGNITO_USER_POOL_ID: 'ap-northeast-1_DRPOOL',
  COGNITO_APP_CLIENT_ID: 'dr-client-id',
};
const SEOUL = {
  AWS_REGION: 'ap-northeast-2',
  COGNITO_REGION: 'ap-northeast-2',
  COGNITO_USER_POOL_ID: 'ap-northeast-2_PRIMARY',
  COGNITO_APP_CLIENT_ID: 'primary-client-id',
};

function input(overrides: Partial<PatchAuthConfigInput> = {}): PatchAuthConfigInput {
  return {
    dryRun: false,
    mode: 'emergency',
    target: {
      clusterName: CLUSTER,
      namespace: NS,
      configMapName: 'auth-config',
      deploymentName: 'auth',
      configMapData: TOKYO,
    },
    ...overrides,
  };
}

describe('Patch Auth config', () => {
  let standIn: KubeApiStandIn;
  let access: StandInEndpoint;
  let kube: KubeConnector;

  beforeEach(async () => {
    standIn = new KubeApiStandIn({ expectedCluster: { clusterName: CLUSTER, credentials: CREDENTIALS } });
    standIn.seedConfigMap(NS, 'auth-config', { ...SEOUL, LOG_LEVEL: 'info' });
    access = await standIn.start();
    kube = async (clusterName) =>
      makeKubeApis({ ...access, token: await mintEksToken({ clusterName, region: 'ap-northeast-1', credentials: CREDENTIALS }) });
  });

  afterEach(async () => {
    await standIn.stop();
  });

  it('merge-patches only the configured keys and leaves the other keys alone', async () => {
    const result = await patchAuthConfig({ kube }, input());

    expect(result.outcome).toBe('changed');
    expect(result.changes).toEqual([
      { resource: 'configmap/portforge/auth-config', action: 'set AWS_REGION', before: 'ap-northeast-2', after: 'ap-northeast-1' },
      { resource: 'configmap/portforge/auth-config', action: 'set COGNITO_APP_CLIENT_ID', before: 'primary-client-id', after: 'dr-client-id' },
      { resource: 'configmap/portforge/auth-config', action: 'set COGNITO_REGION', before: 'ap-northeast-2', after: 'ap-northeast-1' },
      {
        resource: 'configmap/portforge/auth-config',
        action: 'set COGNITO_USER_POOL_ID',
        before: 'ap-northeast-2_PRIMARY',
        after: 'ap-northeast-1_DRPOOL',
      },
    ]);
    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ ...TOKYO, LOG_LEVEL: 'info' });
    expect(standIn.mutatingRequests()).toEqual([
      { method: 'PATCH', path: '/api/v1/namespaces/portforge/configmaps/auth-config', contentType: 'application/merge-patch+json', status: 200 },
    ]);
  });

  it('sends only the keys that differ', async () => {
    standIn.seedConfigMap(NS, 'auth-config', { ...SEOUL, AWS_REGION: 'ap-northeast-1' });

    const result = await patchAuthConfig({ kube }, input());

    expect(result.changes.map((c) => c.action)).not.toContain('set AWS_REGION');
    expect(result.changes).toHaveLength(3);
    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual(TOKYO);
  });

  it('adds a configured key the ConfigMap does not have yet', async () => {
    const { COGNITO_APP_CLIENT_ID: _dropped, ...withoutClient } = SEOUL;
    standIn.seedConfigMap(NS, 'auth-config', withoutClient);

    const result = await patchAuthConfig({ kube }, input());

    expect(result.changes).toContainEqual({
      resource: 'configmap/portforge/auth-config',
      action: 'set COGNITO_APP_CLIENT_ID',
      before: null,
      after: 'dr-client-id',
    });
    expect(standIn.configMap(NS, 'auth-config')?.data?.COGNITO_APP_CLIENT_ID).toBe('dr-client-id');
  });

  it('patches the ConfigMap once even when retried', async () => {
    const first = await patchAuthConfig({ kube }, input());
    const resourceVersion = standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion;
    const second = await patchAuthConfig({ kube }, input());

    expect(first.outcome).toBe('changed');
    expect(second).toEqual({ step: 'Patch Auth config', outcome: 'already-done', changes: [] });
    expect(standIn.mutatingRequests()).toHaveLength(1);
    expect(standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion).toBe(resourceVersion);
  });

  it('dry run reports the diff and sends no PATCH', async () => {
    const result = await patchAuthConfig({ kube }, input({ dryRun: true }));

    expect(result.outcome).toBe('would-change');
    expect(result.changes).toHaveLength(4);
    expect(result.changes).toContainEqual({
      resource: 'configmap/portforge/auth-config',
      action: 'set COGNITO_USER_POOL_ID',
      before: 'ap-northeast-2_PRIMARY',
      after: 'ap-northeast-1_DRPOOL',
    });
    expect(standIn.mutatingRequests()).toHaveLength(0);
    expect(standIn.requests.map((r) => r.method)).toEqual(['GET']);
    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ ...SEOUL, LOG_LEVEL: 'info' });
  });

  it('dry run on an already-patched ConfigMap reports already-done', async () => {
    standIn.seedConfigMap(NS, 'auth-config', TOKYO);

    const result = await patchAuthConfig({ kube }, input({ dryRun: true }));

    expect(result).toEqual({ step: 'Patch Auth config', outcome: 'already-done', changes: [] });
    expect(standIn.mutatingRequests()).toHaveLength(0);
  });

  it('maps a refused token (401) to KubernetesAuthError without leaking the token', async () => {
    standIn.failNext(1, 401);

    const error: unknown = await patchAuthConfig({ kube }, input()).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'KubernetesAuthError' });
    expect(String((error as Error).message)).not.toMatch(/k8s-aws-v1|Bearer|X-Amz-Signature/);
    expect(standIn.mutatingRequests()).toHaveLength(0);
  });

  it('maps a forbidden call (403) to KubernetesForbiddenError, which is not retried', async () => {
    standIn.failNext(1, 403, { method: 'PATCH' });

    await expect(patchAuthConfig({ kube }, input())).rejects.toMatchObject({ name: 'KubernetesForbiddenError' });
    expect(TRANSIENT_ERRORS).not.toContain('KubernetesForbiddenError');
    expect(standIn.configMap(NS, 'auth-config')?.data?.AWS_REGION).toBe('ap-northeast-2');
  });

  it('maps a missing ConfigMap (404) to KubernetesNotFoundError', async () => {
    await expect(
      patchAuthConfig({ kube }, input({ target: { ...input().target, configMapName: 'no-such-config' } })),
    ).rejects.toMatchObject({
      name: 'KubernetesNotFoundError',
      message: expect.stringContaining('configmap/portforge/no-such-config') as string,
    });
    expect(standIn.mutatingRequests()).toHaveLength(0);
  });

  it('maps a conflicting PATCH (409) to KubernetesConflictError and converges on retry', async () => {
    standIn.failNext(1, 409, { method: 'PATCH' });

    await expect(patchAuthConfig({ kube }, input())).rejects.toMatchObject({ name: 'KubernetesConflictError' });
    const retried = await patchAuthConfig({ kube }, input());

    expect(retried.outcome).toBe('changed');
    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ ...TOKYO, LOG_LEVEL: 'info' });
  });

  it('sends the read resourceVersion as a precondition, so a concurrent change gives KubernetesConflictError', async () => {
    const racing: KubeConnector = async (clusterName) => {
      const apis = await kube(clusterName);
      const read = apis.core.readNamespacedConfigMap.bind(apis.core);
      apis.core.readNamespacedConfigMap = async (param) => {
        const seen = await read(param);
        standIn.seedConfigMap(NS, 'auth-config', { ...SEOUL, LOG_LEVEL: 'debug' }); // someone edits between read and patch
        return seen;
      };
      return apis;
    };

    await expect(patchAuthConfig({ kube: racing }, input())).rejects.toMatchObject({ name: 'KubernetesConflictError' });
    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ ...SEOUL, LOG_LEVEL: 'debug' });
  });

  it('maps an API server failure (500) to KubernetesUnavailableError', async () => {
    standIn.failNext(1, 500);

    await expect(patchAuthConfig({ kube }, input())).rejects.toMatchObject({ name: 'KubernetesUnavailableError' });
  });

  it('maps an unreachable API server to KubernetesUnavailableError', async () => {
    await standIn.stop();

    await expect(patchAuthConfig({ kube }, input())).rejects.toMatchObject({
      name: 'KubernetesUnavailableError',
      message: expect.stringContaining('unreachable') as string,
    });
  });

  it('refuses to talk to a server whose certificate is not the cluster CA', async () => {
    const other = new KubeApiStandIn();
    const otherAccess = await other.start();
    try {
      const wrongCa: KubeConnector = async (clusterName) =>
        makeKubeApis({
          endpoint: access.endpoint,
          caData: otherAccess.caData,
          token: await mintEksToken({ clusterName, region: 'ap-northeast-1', credentials: CREDENTIALS }),
        });

      await expect(patchAuthConfig({ kube: wrongCa }, input())).rejects.toMatchObject({ name: 'KubernetesUnavailableError' });
      expect(standIn.requests).toHaveLength(0);
    } finally {
      await other.stop();
    }
  });

  describe('through the Lambda handler', () => {
    const eks = mockClient(EKSClient);
    const saved = { ...process.env };

    beforeEach(() => {
      eks.reset();
      process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
      eks.on(DescribeClusterCommand, { name: CLUSTER }).resolves({
        cluster: { name: CLUSTER, status: 'ACTIVE', endpoint: access.endpoint, certificateAuthority: { data: access.caData } },
      });
    });

    afterAll(() => {
      process.env = saved;
      eks.restore();
    });

    it('describes the cluster, authenticates with a fresh token and patches the ConfigMap', async () => {
      const result = await handler(input(), lambdaContext());

      expect(result).toMatchObject({ step: 'Patch Auth config', outcome: 'changed' });
      expect(result.startedAt).toEqual(expect.any(String));
      expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: CLUSTER });
      expect(standIn.authFailures).toEqual([]);
      expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ ...TOKYO, LOG_LEVEL: 'info' });

      const again = await handler(input(), lambdaContext());
      expect(again.outcome).toBe('already-done');
      expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
      expect(standIn.mutatingRequests()).toHaveLength(1);
    });

    it('fails with KubernetesUnavailableError while the cluster is not ACTIVE, before any Kubernetes call', async () => {
      eks.on(DescribeClusterCommand).resolves({ cluster: { name: CLUSTER, status: 'UPDATING' } });

      await expect(handler(input(), lambdaContext())).rejects.toMatchObject({ name: 'KubernetesUnavailableError' });
      expect(standIn.requests).toHaveLength(0);
    });

    it('rejects a payload without a target as a StepContractError', async () => {
      await expect(handler({ dryRun: false, mode: 'emergency' }, lambdaContext())).rejects.toMatchObject({
        name: 'StepContractError',
      });
      expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 0);
    });
  });
});
