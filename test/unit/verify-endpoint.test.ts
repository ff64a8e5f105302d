import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../functions/shared/clock';
import type { EndpointTarget } from '../../functions/shared/contracts';
import { handler } from '../../functions/verify-endpoint';
import { type Fetch, verifyEndpoint } from '../../functions/verify-endpoint/logic';
import { lambdaContext } from '../support/lambda';

const BODY_SECRET = 'internal-stack-trace-do-not-leak';

/**
 * A local endpoint stand-in: /health answers 200 from Tokyo (x-served-region), /seoul 200 from Seoul,
 * /unsigned 200 naming no Region, /json 200 naming the Region in its JSON body, /broken 503,
 * /moved 302, /moved-here 302 from Tokyo, /hang never answers.
 */
let server: Server;
let base: string;
const requests: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req);
    switch (req.url) {
      case '/health':
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-region': 'ap-northeast-1' }).end('ok');
        return;
      case '/seoul':
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-region': 'ap-northeast-2' }).end('ok');
        return;
      case '/unsigned':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', meta: { region: 'ap-northeast-1' }, secret: BODY_SECRET }));
        return;
      case '/moved-here':
        res.writeHead(302, { location: '/health', 'x-served-region': 'ap-northeast-1' }).end();
        return;
      case '/broken':
        res.writeHead(503, { 'content-type': 'text/plain' }).end(BODY_SECRET);
        return;
      case '/moved':
        res.writeHead(302, { location: '/health' }).end();
        return;
      default:
        // /hang: hold the request open until the client gives up.
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
});

/** A clock that moves 42 ms each time it is read, so latency is exact. */
function steppingClock(stepMs = 42): Clock {
  let t = Date.parse('2025-01-01T00:00:00Z');
  return { now: () => new Date((t += stepMs)) };
}

const realFetch: Fetch = (url, init) => fetch(url, init);
const target = (path: string, overrides: Partial<EndpointTarget> = {}): EndpointTarget => ({
  url: `${base}${path}`,
  expectStatus: 200,
  timeoutMs: 2000,
  expectRegion: 'ap-northeast-1',
  regionSignal: { type: 'header', name: 'x-served-region' },
  ...overrides,
});

describe('Verify DR endpoint', () => {
  it('verifies a healthy endpoint with its status and latency, through the handler', async () => {
    const result = await handler({ dryRun: false, mode: 'emergency', target: target('/health') }, lambdaContext());

    expect(result).toMatchObject({ step: 'Verify DR endpoint', outcome: 'verified', changes: [], status: 200 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('GET');
  });

  it('measures latency with the step clock', async () => {
    const result = await verifyEndpoint(
      { fetch: realFetch, clock: steppingClock(42) },
      { dryRun: false, target: target('/health') },
    );

    expect(result).toEqual({ step: 'Verify DR endpoint', outcome: 'verified', changes: [], status: 200, latencyMs: 42, servedRegion: 'ap-northeast-1' });
  });

  it('fails with EndpointUnhealthyError naming the URL and status, without the response body', async () => {
    const url = `${base}/broken`;
    const failure = handler({ dryRun: false, mode: 'emergency', target: target('/broken') }, lambdaContext());

    await expect(failure).rejects.toMatchObject({ name: 'EndpointUnhealthyError' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain(`GET ${url} answered 503, expected 200`);
    expect(message).not.toContain(BODY_SECRET);
  });

  it('does not follow redirects: the endpoint itself must answer the expected status', async () => {
    await expect(
      verifyEndpoint({ fetch: realFetch, clock: steppingClock() }, { dryRun: false, target: target('/moved') }),
    ).rejects.toMatchObject({ name: 'EndpointUnhealthyError', message: `GET ${base}/moved answered 302, expected 200` });
    expect(requests.map((r) => r.url)).toEqual(['/moved']);
  });

  it('accepts a non-200 status when that is what the config expects', async () => {
    const result = await verifyEndpoint(
      { fetch: realFetch, clock: steppingClock() },
      { dryRun: false, target: target('/moved-here', { expectStatus: 302 }) },
    );

    expect(result).toMatchObject({ outcome: 'verified', status: 302 });
  });

  it('fails with EndpointUnhealthyError naming the timeout when the endpoint does not answer in time', async () => {
    const started = Date.now();

    await expect(
      verifyEndpoint(
        { fetch: realFetch, clock: steppingClock() },
        { dryRun: false, target: target('/hang', { timeoutMs: 200 }) },
      ),
    ).rejects.toMatchObject({
      name: 'EndpointUnhealthyError',
      message: `GET ${base}/hang did not answer within 200 ms`,
    });
    expect(Date.now() - started).toBeLessThan(1900);
  });

  it('fails with EndpointUnhealthyError naming the network error', async () => {
    const refused: Fetch = () =>
      Promise.reject(
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
        }),
      );

    await expect(
      verifyEndpoint(
        { fetch: refused, clock: steppingClock() },
        { dryRun: false, target: { ...target('/health'), url: 'https://dr.portforge.org/health', timeoutMs: 1000 } },
      ),
    ).rejects.toMatchObject({
      name: 'EndpointUnhealthyError',
      message: 'GET https://dr.portforge.org/health failed: ECONNREFUSED',
    });
  });

  it('fails when the 200 comes from the primary Region: a resolver still holds the old answer, or Seoul still serves', async () => {
    await expect(
      verifyEndpoint({ fetch: realFetch, clock: steppingClock() }, { dryRun: false, target: target('/seoul') }),
    ).rejects.toMatchObject({
      name: 'EndpointUnhealthyError',
      message: expect.stringContaining(`GET ${base}/seoul answered 200 from ap-northeast-2 (response header x-served-region), not from the standby Region ap-northeast-1`) as string,
    });
  });

  it('fails when the answer does not name the Region that served it', async () => {
    await expect(
      verifyEndpoint({ fetch: realFetch, clock: steppingClock() }, { dryRun: false, target: target('/unsigned') }),
    ).rejects.toMatchObject({
      name: 'EndpointUnhealthyError',
      message: expect.stringContaining('without the response header x-served-region that names the serving Region') as string,
    });
  });

  it('reads the Region from a JSON body field when configured so, and reports only that value', async () => {
    const result = await verifyEndpoint(
      { fetch: realFetch, clock: steppingClock() },
      { dryRun: false, target: target('/json', { regionSignal: { type: 'body-field', path: 'meta.region' } }) },
    );
    expect(result).toMatchObject({ outcome: 'verified', status: 200, servedRegion: 'ap-northeast-1' });
    expect(JSON.stringify(result)).not.toContain(BODY_SECRET);

    await expect(
      verifyEndpoint(
        { fetch: realFetch, clock: steppingClock() },
        { dryRun: false, target: target('/json', { regionSignal: { type: 'body-field', path: 'region' } }) },
      ),
    ).rejects.toMatchObject({ name: 'EndpointUnhealthyError', message: expect.stringContaining('JSON body field region') as string });
  });

  it('dry run sends no request and reports the check it would make', async () => {
    const spy = jest.fn<ReturnType<Fetch>, Parameters<Fetch>>();
    const url = 'https://dr.portforge.org/health';

    const result = await verifyEndpoint(
      { fetch: spy, clock: steppingClock() },
      { dryRun: true, target: { ...target('/health'), url, timeoutMs: 1000 } },
    );

    expect(result).toEqual({
      step: 'Verify DR endpoint',
      outcome: 'would-change',
      changes: [{ resource: url, action: 'verify responds 200 from ap-northeast-1 (response header x-served-region)' }],
      status: null,
      latencyMs: null,
      servedRegion: null,
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('dry run through the handler makes no request to the endpoint', async () => {
    const result = await handler({ dryRun: true, mode: 'planned', target: target('/health') }, lambdaContext());

    expect(result).toMatchObject({ outcome: 'would-change', status: null });
    expect(requests).toHaveLength(0);
  });

  it('rejects a target without a valid URL with StepContractError', async () => {
    await expect(
      handler({ dryRun: false, mode: 'emergency', target: { ...target('/health'), url: 'not a url', timeoutMs: 1000 } }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'StepContractError' });
    expect(requests).toHaveLength(0);
  });
});
