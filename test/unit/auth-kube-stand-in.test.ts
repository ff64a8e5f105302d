import https from 'node:https';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeApiStandIn, mergePatch, type StandInEndpoint } from '../../drill/kube-api-server';
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
        configmaps: { verbs: ['get', 'patch'], resourceNames: ['auth-config'] },
        deployments: { verbs: ['get', 'patch'], resourceNames: ['auth'] },
      },
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
