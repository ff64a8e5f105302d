import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generate } from 'selfsigned';
import { awsClientConfig, callTimeouts, withCallTimeouts } from '../../functions/shared/aws-client';
import { AwsTransientError, KubernetesUnavailableError, toStepError } from '../../functions/shared/errors';
import { makeKubeApis } from '../../functions/shared/eks';
import { readConfigMap } from '../../functions/shared/kube';

/** A server that accepts requests and never answers them: a hung dependency. */
async function silentServer(secure: boolean): Promise<{ url: string; caData: string; close: () => Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  let caData = '';
  let server: http.Server;
  if (secure) {
    const pems = await generate([{ name: 'commonName', value: 'silent-kube-apiserver' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    caData = Buffer.from(pems.cert, 'utf8').toString('base64');
    server = https.createServer({ key: pems.private, cert: pems.cert }, () => undefined);
  } else {
    server = http.createServer(() => undefined);
  }
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    caData,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('call timeouts', () => {
  it('gives one request a sixth of the Lambda timeout, between 1 s and 10 s, and connecting at most 3 s', () => {
    expect(callTimeouts(55)).toEqual({ connectionTimeoutMs: 3_000, requestTimeoutMs: 9_166 });
    expect(callTimeouts(10)).toEqual({ connectionTimeoutMs: 833, requestTimeoutMs: 1_666 });
    expect(callTimeouts(3)).toEqual({ connectionTimeoutMs: 500, requestTimeoutMs: 1_000 });
    expect(callTimeouts(900)).toEqual({ connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 });
    // Three timed-out tries stay within about half the Lambda's timeout.
    expect(3 * callTimeouts(55).requestTimeoutMs).toBeLessThan(55_000 / 2);
  });

  it("configures every step's SDK clients from the Lambda's timeout in the environment", () => {
    // test/setup.ts sets LAMBDA_TIMEOUT_SECONDS=55, as the function construct does for the step Lambdas.
    expect(awsClientConfig({ region: 'us-east-1' })).toEqual({
      region: 'us-east-1',
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 9_166, throwOnRequestTimeout: true },
    });
  });

  it('fails an AWS call to an endpoint that never answers within the bound, as a retried transient error', async () => {
    const server = await silentServer(false);
    try {
      const client = new DynamoDBClient(
        withCallTimeouts(
          { connectionTimeoutMs: 200, requestTimeoutMs: 300 },
          { region: 'ap-northeast-1', endpoint: server.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } },
        ),
      );
      const started = Date.now();
      const error = await client.send(new DescribeTableCommand({ TableName: 'team_chats_ddb' })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(toStepError(error)).toBeInstanceOf(AwsTransientError);
      expect(toStepError(error).message).toMatch(/^TimeoutError: /);
    } finally {
      await server.close();
    }
  });

  it('fails a Kubernetes call to an API server that never answers within the bound, as KubernetesUnavailableError', async () => {
    const server = await silentServer(true);
    try {
      const apis = makeKubeApis({ endpoint: server.url, caData: server.caData, token: 'k8s-aws-v1.test' }, { requestTimeoutMs: 300 });
      const started = Date.now();
      const error = await readConfigMap(apis, { namespace: 'portforge', name: 'auth-config' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error).toBeInstanceOf(KubernetesUnavailableError);
      expect((error as Error).message).toBe('read configmap/portforge/auth-config: Kubernetes API unreachable (TimeoutError)');
    } finally {
      await server.close();
    }
  });
});
