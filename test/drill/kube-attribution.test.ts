import { makeKubeApis, mintEksToken, type KubeApis } from '../../functions/shared/eks';
import { withinInvocation, type Invocation } from '../../drill/invocation';
import { KubeApiStandIn, KubernetesRequestLog, type StandInEndpoint } from '../../drill/kube';

/**
 * The stand-in's request handler runs in the server's async context, so the drill attributes a
 * Kubernetes request on the caller's side (undici's request:create diagnostics message). Two steps
 * sending requests at the same time, over one client and its connection pool, must each get their own.
 */
const NS = 'portforge';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDINTEST00005', secretAccessKey: 'stand-in-secret-key-for-tests-only' };
const invocation = (step: string, state: string): Invocation => ({
  executionId: 'arn:aws:states:local:000000000000:execution:dr-cutover:attribution',
  state,
  step,
  functionName: `dr-cutover-${step}`,
});

describe('KubernetesRequestLog', () => {
  let standIn: KubeApiStandIn;
  let access: StandInEndpoint;
  let apis: KubeApis;
  let log: KubernetesRequestLog;

  beforeEach(async () => {
    standIn = new KubeApiStandIn();
    standIn.seedConfigMap(NS, 'config-a', { KEY: 'a' });
    standIn.seedConfigMap(NS, 'config-b', { KEY: 'b' });
    access = await standIn.start();
    const token = await mintEksToken({ clusterName: 'c', region: 'ap-northeast-1', credentials: CREDENTIALS });
    apis = makeKubeApis({ ...access, token });
    log = new KubernetesRequestLog(access.endpoint);
    log.start();
  });

  afterEach(async () => {
    log.stop();
    await standIn.stop();
  });

  it('attributes concurrent requests through one client to the invocation that sent each, with its status', async () => {
    const reads = (name: string, times: number) => async () => {
      for (let i = 0; i < times; i += 1) await apis.core.readNamespacedConfigMap({ name, namespace: NS });
    };
    await Promise.all([
      withinInvocation(invocation('step-a', 'State A'), reads('config-a', 4)),
      withinInvocation(invocation('step-b', 'State B'), reads('config-b', 4)),
      withinInvocation(invocation('step-c', 'State C'), () => apis.core.readNamespacedConfigMap({ name: 'missing', namespace: NS }).catch(() => undefined)),
    ]);

    // The server saw the same requests the callers sent.
    expect(log.requests).toHaveLength(standIn.requests.length);
    expect(log.requests).toHaveLength(9);
    // Interleaved, not one step after the other: attribution does not rely on order.
    const order = log.requests.map((r) => r.step);
    expect(order.indexOf('step-b')).toBeLessThan(order.lastIndexOf('step-a'));
    for (const request of log.requests) {
      const expected = { '/api/v1/namespaces/portforge/configmaps/config-a': 'step-a', '/api/v1/namespaces/portforge/configmaps/config-b': 'step-b' }[request.path] ?? 'step-c';
      expect(request).toMatchObject({ step: expected, method: 'GET', executionId: expect.stringContaining(':execution:'), error: null });
      expect(request.state).toBe(`State ${expected.slice(-1).toUpperCase()}`);
    }
    expect(log.requests.filter((r) => r.step === 'step-c').map((r) => r.status)).toEqual([404]);
    expect(log.requests.filter((r) => r.step !== 'step-c').every((r) => r.status === 200)).toBe(true);
  });

  it('records a request made outside any invocation with no step, and ignores other origins', async () => {
    await apis.core.readNamespacedConfigMap({ name: 'config-a', namespace: NS });
    const other = new KubeApiStandIn();
    other.seedConfigMap(NS, 'config-a', { KEY: 'other' });
    const otherAccess = await other.start();
    try {
      const token = await mintEksToken({ clusterName: 'c', region: 'ap-northeast-1', credentials: CREDENTIALS });
      await makeKubeApis({ ...otherAccess, token }).core.readNamespacedConfigMap({ name: 'config-a', namespace: NS });
    } finally {
      await other.stop();
    }
    expect(log.requests).toEqual([expect.objectContaining({ executionId: null, state: null, step: null, status: 200, path: '/api/v1/namespaces/portforge/configmaps/config-a' })]);
  });

  it('records nothing once stopped', async () => {
    log.stop();
    await apis.core.readNamespacedConfigMap({ name: 'config-a', namespace: NS });
    expect(log.requests).toEqual([]);
  });
});
