import https from 'node:https';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeApiStandIn, mergePatch, type StandInEndpoint } from '../../drill/kube';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { SimulatedWorld, WORLD_ACCOUNT, WORLD_CREDENTIALS } from '../../drill/world';
import { toRuntimeTargets, type EnvironmentConfig } from '../../stacks/config';
import { testConfig } from '../support/config';
import { encodeEksToken, makeKubeApis, mintEksToken, presignGetCallerIdentity, type KubeApis } from '../../functions/shared/eks';

const CLUSTER = 'portforge-dr-cluster';
const NS = 'portforge';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDINTEST00004', secretAccessKey: 'stand-in-secret-key-for-tests-only' };
const MERGE = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A raw HTTPS request to the stand-in, trusting its CA, to send what the client library would not. */
function raw(
  access: StandInEndpoint,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: { kind?: string; reason?: string; code?: number } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${access.endpoint}${options.path}`,
      { method: options.method, headers: options.headers, ca: Buffer.from(access.caData, 'base64').toString('utf8') },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind?: string } }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('mergePatch (RFC 7396)', () => {
  it('deletes members set to null, merges objects recursively and replaces arrays', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2, 3], keep: true };
    const patch = { a: 'z', c: { f: null, h: 'i' }, list: [4], added: { x: 1 } };

    expect(mergePatch(target, patch)).toEqual({ a: 'z', c: { d: 'e', h: 'i' }, list: [4], keep: true, added: { x: 1 } });
    expect(target.c).toEqual({ d: 'e', f: 'g' }); // the target is not mutated
  });

  it('replaces a non-object target with the patch object', () => {
    expect(mergePatch(['a'], { b: 'c' })).toEqual({ b: 'c' });
    expect(mergePatch({ a: 1 }, 'scalar')).toBe('scalar');
  });
});

describe('KubeApiStandIn', () => {
  let now: number;
  let standIn: KubeApiStandIn;
  let access: StandInEndpoint;
  let apis: KubeApis;
  let token: string;

  beforeEach(async () => {
    now = Date.parse('2026-11-27T05:00:00.000Z');
    standIn = new KubeApiStandIn({ now: () => now, expectedCluster: { clusterName: CLUSTER, credentials: CREDENTIALS } });
    standIn.seedConfigMap(NS, 'auth-config', { AWS_REGION: 'ap-northeast-2', LOG_LEVEL: 'info' });
    standIn.seedDeployment(NS, 'auth', { replicas: 2 });
    access = await standIn.start();
    token = await mintEksToken({ clusterName: CLUSTER, region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: new Date(now) });
    apis = makeKubeApis({ ...access, token });
  });

  afterEach(async () => {
    await standIn.stop();
  });

  it('serves HTTPS with a CA given as base64 PEM, as EKS returns it', async () => {
    expect(access.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(access.caData, 'base64').toString('utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);

    const cm = await apis.core.readNamespacedConfigMap({ name: 'auth-config', namespace: NS });
    expect(cm.data).toEqual({ AWS_REGION: 'ap-northeast-2', LOG_LEVEL: 'info' });
  });

  it('applies merge patches: null deletes a key and other keys stay', async () => {
    await apis.core.patchNamespacedConfigMap(
      { name: 'auth-config', namespace: NS, body: { data: { AWS_REGION: 'ap-northeast-1', LOG_LEVEL: null, NEW: 'x' } } },
      MERGE(),
    );

    expect(standIn.configMap(NS, 'auth-config')?.data).toEqual({ AWS_REGION: 'ap-northeast-1', NEW: 'x' });
  });

  it('bumps resourceVersion only when a patch changes the object', async () => {
    const before = standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion;
    await apis.core.patchNamespacedConfigMap({ name: 'auth-config', namespace: NS, body: { data: { LOG_LEVEL: 'info' } } }, MERGE());
    const unchanged = standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion;
    await apis.core.patchNamespacedConfigMap({ name: 'auth-config', namespace: NS, body: { data: { LOG_LEVEL: 'debug' } } }, MERGE());

    expect(unchanged).toBe(before);
    expect(Number(standIn.configMap(NS, 'auth-config')?.metadata?.resourceVersion)).toBeGreaterThan(Number(before));
  });

  it('answers 409 when a patch carries a stale resourceVersion', async () => {
    await expect(
      apis.core.patchNamespacedConfigMap(
        { name: 'auth-config', namespace: NS, body: { metadata: { resourceVersion: '1' }, data: { LOG_LEVEL: 'debug' } } },
        MERGE(),
      ),
    ).rejects.toMatchObject({ code: 409 });
    expect(standIn.configMap(NS, 'auth-config')?.data?.LOG_LEVEL).toBe('info');
  });

  it('bumps a Deployment generation on spec changes only, and models a rollout', async () => {
    await apis.apps.patchNamespacedDeployment({ name: 'auth', namespace: NS, body: { metadata: { labels: { team: 'auth' } } } }, MERGE());
    expect(standIn.deployment(NS, 'auth')?.metadata?.generation).toBe(1);

    const patched = await apis.apps.patchNamespacedDeployment(
      { name: 'auth', namespace: NS, body: { spec: { template: { metadata: { annotations: { restart: '1' } } } } } },
      MERGE(),
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 0 });

    now += 500;
    expect(standIn.deployment(NS, 'auth')?.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 2, readyReplicas: 2, replicas: 2 });
  });

  it('rejects a JSON-Patch content type (the client default) with 415 and changes nothing', async () => {
    await expect(
      apis.core.patchNamespacedConfigMap({
        name: 'auth-config',
        namespace: NS,
        body: [{ op: 'replace', path: '/data/AWS_REGION', value: 'ap-northeast-1' }],
      }),
    ).rejects.toMatchObject({ code: 415 });

    expect(standIn.configMap(NS, 'auth-config')?.data?.AWS_REGION).toBe('ap-northeast-2');
    expect(standIn.mutatingRequests()).toEqual([
      { method: 'PATCH', path: '/api/v1/namespaces/portforge/configmaps/auth-config', contentType: 'application/json-patch+json', status: 415 },
    ]);
  });

  it('answers 404 with a Kubernetes Status for unknown objects and paths', async () => {
    await expect(apis.core.readNamespacedConfigMap({ name: 'missing', namespace: NS })).rejects.toMatchObject({
      code: 404,
      // client-node hands back the Status body as its raw JSON text
      body: expect.stringMatching(/"kind":"Status".*"reason":"NotFound"/) as string,
    });
    const unknown = await raw(access, { method: 'GET', path: '/api/v1/namespaces/portforge/secrets/x', headers: { authorization: `Bearer ${token}` } });
    expect(unknown).toMatchObject({ status: 404, body: { kind: 'Status', code: 404 } });
  });

  describe('authentication', () => {
    const get = (authorization?: string) =>
      raw(access, {
        method: 'GET',
        path: '/api/v1/namespaces/portforge/configmaps/auth-config',
        headers: authorization ? { authorization } : {},
      });

    it('accepts a well-formed token for the expected cluster', async () => {
      await expect(get(`Bearer ${token}`)).resolves.toMatchObject({ status: 200 });
    });

    it.each([
      ['no Authorization header', undefined, 'missing bearer token'],
      ['a malformed token', 'Bearer k8s-aws-v1.not a token', 'missing bearer token'],
      ['a token with padding', 'Bearer k8s-aws-v1.aGVsbG8=', 'not a k8s-aws-v1 token (base64url, no padding)'],
      ['a token without the prefix', 'Bearer aGVsbG8', 'not a k8s-aws-v1 token (base64url, no padding)'],
      ['a token with an empty body', 'Bearer k8s-aws-v1.', 'not a k8s-aws-v1 token (base64url, no padding)'],
      ['a token in the standard, not URL-safe, alphabet', 'Bearer k8s-aws-v1.aGV+bG8/', 'not a k8s-aws-v1 token (base64url, no padding)'],
      ['a token that does not wrap STS', `Bearer ${encodeEksToken('https://example.com/?Action=GetCallerIdentity')}`, 'token URL is not an STS endpoint'],
    ])('refuses %s with 401', async (_label, authorization, reason) => {
      const answer = await get(authorization);

      expect(answer).toEqual({
        status: 401,
        body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
      });
      expect(standIn.authFailures).toEqual([reason]);
    });

    it('refuses a presigned URL that does not expire in 60 s', async () => {
      const url = new URL(
        await presignGetCallerIdentity({ clusterName: CLUSTER, region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: new Date(now) }),
      );
      url.searchParams.set('X-Amz-Expires', '900');

      await expect(get(`Bearer ${encodeEksToken(url.toString())}`)).resolves.toMatchObject({ status: 401 });
      expect(standIn.authFailures).toEqual(['token URL X-Amz-Expires must be 0 to 60']);
    });

    it('refuses a presigned URL that does not sign x-k8s-aws-id', async () => {
      const url = new URL(
        await presignGetCallerIdentity({ clusterName: CLUSTER, region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: new Date(now) }),
      );
      url.searchParams.set('X-Amz-SignedHeaders', 'host');

      await expect(get(`Bearer ${encodeEksToken(url.toString())}`)).resolves.toMatchObject({ status: 401 });
      expect(standIn.authFailures).toEqual(['token URL must sign host and x-k8s-aws-id']);
    });

    it('refuses a token minted for another cluster', async () => {
      const other = await mintEksToken({ clusterName: 'other-cluster', region: 'ap-northeast-1', credentials: CREDENTIALS, signingDate: new Date(now) });

      await expect(get(`Bearer ${other}`)).resolves.toMatchObject({ status: 401 });
      expect(standIn.authFailures).toEqual([`token signature does not match cluster ${CLUSTER}`]);
    });

    it('refuses a stale token', async () => {
      now += 16 * 60_000;

      await expect(get(`Bearer ${token}`)).resolves.toMatchObject({ status: 401 });
      expect(standIn.authFailures).toEqual(['token expired']);
    });

    it('never records the token', async () => {
      await get(`Bearer ${token}`);
      await get('Bearer k8s-aws-v1.aGVsbG8');

      const recorded = JSON.stringify([standIn.requests, standIn.authFailures]);
      expect(recorded).not.toContain(token.slice('k8s-aws-v1.'.length, 40));
      expect(recorded).not.toContain('aGVsbG8');
      expect(recorded).not.toMatch(/authorization|bearer/i);
    });
  });

  describe('fault injection', () => {
    it('fails the next n matching requests, then answers normally', async () => {
      standIn.failNext(2, 500, { method: 'GET', path: /\/configmaps\// });

      await expect(apis.apps.readNamespacedDeployment({ name: 'auth', namespace: NS })).resolves.toBeDefined();
      await expect(apis.core.readNamespacedConfigMap({ name: 'auth-config', namespace: NS })).rejects.toMatchObject({ code: 500 });
      await expect(apis.core.readNamespacedConfigMap({ name: 'auth-config', namespace: NS })).rejects.toMatchObject({ code: 500 });
      await expect(apis.core.readNamespacedConfigMap({ name: 'auth-config', namespace: NS })).resolves.toBeDefined();

      expect(standIn.requests.map((r) => r.status)).toEqual([200, 500, 500, 200]);
    });

    it('an injected PATCH failure changes nothing', async () => {
      standIn.failNext(1, 409, { method: 'PATCH' });

      await expect(
        apis.core.patchNamespacedConfigMap({ name: 'auth-config', namespace: NS, body: { data: { LOG_LEVEL: 'debug' } } }, MERGE()),
      ).rejects.toMatchObject({ code: 409 });
      expect(standIn.configMap(NS, 'auth-config')?.data?.LOG_LEVEL).toBe('info');
    });
  });

  it('enforces the emulated RBAC: only get/patch on the named objects', async () => {
    await standIn.stop();
    standIn = new KubeApiStandIn({
      now: () => now,
      rbac: {
        roles: [
          {
            kind: 'Role',
            name: 'dr-cutover-auth',
            namespace: NS,
            rules: [
              { apiGroups: [''], resources: ['configmaps'], resourceNames: ['auth-config'], verbs: ['get', 'patch'] },
              { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['auth'], verbs: ['get', 'patch'] },
            ],
          },
        ],
        bindings: [{ name: 'dr-cutover-auth', namespace: NS, subjects: [{ kind: 'Group', name: 'dr-cutover' }], roleRef: { kind: 'Role', name: 'dr-cutover-auth' } }],
      },
      identity: { username: 'dr-cutover', groups: ['dr-cutover'] },
    });
    standIn.seedConfigMap(NS, 'auth-config', {});
    standIn.seedConfigMap(NS, 'other-config', {});
    access = await standIn.start();
    apis = makeKubeApis({ ...access, token });

    await expect(apis.core.readNamespacedConfigMap({ name: 'auth-config', namespace: NS })).resolves.toBeDefined();
    await expect(apis.core.readNamespacedConfigMap({ name: 'other-config', namespace: NS })).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('"reason":"Forbidden"') as string,
    });
  });
});

/**
 * The drill cluster's RBAC as Kubernetes evaluates the shipped manifest (k8s/auth-cutover-rbac.yaml):
 * the Role grants only in its own namespace, and only to the subjects its RoleBinding names; the
 * caller's groups are the ones the EKS access entry maps the cutover role to (config `eks.kubernetesGroup`).
 */
describe("the drill cluster's RBAC (namespaced Role, RoleBinding to the access entry's group)", () => {
  const certificateArn = `arn:aws:acm:ap-northeast-1:${WORLD_ACCOUNT}:certificate/x`;

  async function worldApis(config: EnvironmentConfig): Promise<{ world: SimulatedWorld; apis: KubeApis }> {
    const world = new SimulatedWorld(config, toRuntimeTargets(config, certificateArn));
    await world.start();
    const described = await new EKSClient({ region: config.standbyRegion }).send(new DescribeClusterCommand({ name: config.eks.clusterName }));
    const token = await mintEksToken({ clusterName: config.eks.clusterName, region: config.standbyRegion, credentials: WORLD_CREDENTIALS });
    const apis = makeKubeApis({ endpoint: described.cluster?.endpoint ?? '', caData: described.cluster?.certificateAuthority?.data ?? '', token });
    return { world, apis };
  }

  it('refuses a patch of the Auth ConfigMap in another namespace with 403 Forbidden (a Role grants only in its namespace)', async () => {
    const config = testConfig('prod');
    const { world, apis } = await worldApis(config);
    try {
      world.kube.seedConfigMap('other-team', config.eks.configMapName, { AWS_REGION: 'ap-northeast-2' });
      const refused = apis.core.patchNamespacedConfigMap(
        { name: config.eks.configMapName, namespace: 'other-team', body: { data: { AWS_REGION: 'ap-northeast-1' } } },
        MERGE(),
      );
      await expect(refused).rejects.toMatchObject({ code: 403 });
      const body = JSON.parse(((await refused.catch((e: unknown) => e)) as { body: string }).body) as { kind: string; reason: string; message: string; code: number };
      expect(body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(body.message).toMatch(
        new RegExp(`^configmaps "${config.eks.configMapName}" is forbidden: User "[^"]+" cannot patch resource "configmaps" in API group "" in the namespace "other-team"$`),
      );
      expect(world.kube.configMap('other-team', config.eks.configMapName)?.data?.AWS_REGION).toBe('ap-northeast-2');
      // The same patch in the Role's own namespace is allowed.
      await expect(
        apis.core.patchNamespacedConfigMap({ name: config.eks.configMapName, namespace: config.eks.namespace, body: { data: { LOG_LEVEL: 'info' } } }, MERGE()),
      ).resolves.toBeDefined();
    } finally {
      await world.stop();
    }
  });

  it('refuses the cutover role when its access entry maps it to a group the RoleBinding does not name', async () => {
    const config = testConfig('prod', { eks: { kubernetesGroup: 'platform-operators' } });
    const { world, apis } = await worldApis(config);
    try {
      const refused = apis.core.patchNamespacedConfigMap(
        { name: config.eks.configMapName, namespace: config.eks.namespace, body: { data: { AWS_REGION: 'ap-northeast-1' } } },
        MERGE(),
      );
      await expect(refused).rejects.toMatchObject({ code: 403 });
      const body = JSON.parse(((await refused.catch((e: unknown) => e)) as { body: string }).body) as { message: string };
      expect(body.message).toMatch(
        new RegExp(`^configmaps "${config.eks.configMapName}" is forbidden: User "[^"]+" cannot patch resource "configmaps" in API group "" in the namespace "${config.eks.namespace}"$`),
      );
      await expect(apis.apps.readNamespacedDeployment({ name: config.eks.deploymentName, namespace: config.eks.namespace })).rejects.toMatchObject({ code: 403 });
      expect(world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data?.AWS_REGION).toBe(config.primaryRegion);
    } finally {
      await world.stop();
    }
  });
});
