import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { probe } from '../../functions/primary-probe/logic';

const cw = mockClient(CloudWatchClient);
let server: http.Server;
let status = 200;
let delayMs = 0;
let url = '';
const now = () => new Date('2026-11-27T03:00:00Z');

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    setTimeout(() => res.writeHead(status).end('x'), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  cw.reset();
  cw.on(PutMetricDataCommand).resolves({});
  status = 200;
  delayMs = 0;
});

const deps = () => ({ cw: new CloudWatchClient({}), fetch, now });
const metricValue = () => cw.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData?.[0]?.Value;

describe('primary probe', () => {
  it('records 1 for a healthy primary, in the standby Region, per environment', async () => {
    await expect(probe(deps(), { environment: 'prod', url, timeoutMs: 1000 })).resolves.toMatchObject({ healthy: true, detail: 'HTTP 200' });
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'DrCutover',
      MetricData: [expect.objectContaining({ MetricName: 'PrimaryHealthy', Value: 1, Dimensions: [{ Name: 'Environment', Value: 'prod' }] })],
    });
  });

  it('records 0 when the primary answers 5xx', async () => {
    status = 503;
    await expect(probe(deps(), { environment: 'prod', url, timeoutMs: 1000 })).resolves.toMatchObject({ healthy: false, detail: 'HTTP 503' });
    expect(metricValue()).toBe(0);
  });

  it('records 0 when the primary does not answer within the timeout', async () => {
    delayMs = 500;
    await expect(probe(deps(), { environment: 'prod', url, timeoutMs: 50 })).resolves.toMatchObject({ healthy: false, detail: 'timeout after 50 ms' });
    expect(metricValue()).toBe(0);
  });

  it('records 0 when the primary cannot be reached at all', async () => {
    const refused = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    await expect(probe({ ...deps(), fetch: refused }, { environment: 'prod', url, timeoutMs: 50 })).resolves.toMatchObject({ healthy: false, detail: 'TypeError' });
    expect(metricValue()).toBe(0);
  });
});
