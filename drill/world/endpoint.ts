import { ALIAS_TTL_SECONDS, WORLD_SLACK } from './fixtures';
import { canonicalName } from './route53-zone';
import type { SimulatedWorld } from './simulated-world';

/**
 * The public endpoint (the config's URL) is answered by the world, like the AWS APIs: the Region
 * the resolver sends it to answers, naming itself with the configured signal. Seoul answers until
 * resolvers see the switched record (200 from a healthy primary, no answer in an outage); Tokyo
 * answers 200 once it serves, 503 before. The Slack webhook records what it is sent. Any other URL
 * goes to the real fetch.
 */
export function installEndpoint(world: SimulatedWorld): void {
  const realFetch = globalThis.fetch;
  world.realFetch = realFetch;
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === WORLD_SLACK.webhookUrl || url.startsWith(WORLD_SLACK.responseUrlPrefix)) {
      world.slackPosts.push(JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as unknown);
      return new Response('ok', { status: 200 });
    }
    if (url === world.config.alarms.primaryHealthUrl) {
      // An outage: the primary's load balancer does not answer, so the request times out
      // (undici surfaces that as TypeError 'fetch failed').
      if (world.primaryOutage) throw new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
      return new Response('ok', { status: 200 });
    }
    if (url !== world.config.endpoint.url) return realFetch(input, init);
    await Promise.resolve();
    noteDnsAnswer(world);
    const served = resolvedRegion(world);
    if (served === world.config.primaryRegion) {
      // The resolver still sends the request to Seoul. In an outage its load balancer does not answer;
      // a healthy primary (planned mode) answers 200 itself, as it always has.
      if (world.primaryOutage) {
        world.endpointChecks.push({ at: world.now(), status: 0, region: served });
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
      }
      world.endpointChecks.push({ at: world.now(), status: 200, region: served });
      return endpointResponse(world, 200, served);
    }
    const serving = world.drServing();
    const healthy = serving && world.endpointFailuresLeft <= 0;
    if (serving && !healthy) world.endpointFailuresLeft -= 1;
    const status = healthy ? 200 : 503;
    world.endpointChecks.push({ at: world.now(), status, region: served });
    return endpointResponse(world, status, served);
  };
}

/**
 * The application's answer, with the Region-identifying signal it is deployed with: the configured
 * response header, or a field of a JSON body (the service names the Region that served the request).
 */
function endpointResponse(world: SimulatedWorld, status: number, region: string): Response {
  const signal = world.config.endpoint.regionSignal;
  if (signal.type === 'header') {
    return new Response(status === 200 ? 'ok' : 'not serving', { status, headers: { 'content-type': 'text/plain', [signal.name]: region } });
  }
  const body: Record<string, unknown> = { status: status === 200 ? 'ok' : 'not serving' };
  let node = body;
  const parts = signal.path.split('.');
  parts.slice(0, -1).forEach((part) => {
    const child: Record<string, unknown> = {};
    node[part] = child;
    node = child;
  });
  node[parts[parts.length - 1] ?? 'region'] = region;
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/**
 * The Region a DNS resolver sends the endpoint's host to now. Route 53 answers with the record as
 * it is once the change is INSYNC, and resolvers keep the previous answer for its TTL: alias records
 * to an ELB load balancer have a fixed TTL of 60 s (Route 53 FAQ, DNS failover and TTLs).
 */
export function resolvedRegion(world: SimulatedWorld): string {
  const { answer, previous, changedAt } = world.dnsAnswer;
  const visibleAfterMs = (world.timing.route53InsyncSeconds + ALIAS_TTL_SECONDS) * 1000;
  return changedAt === null || world.now() - changedAt >= visibleAfterMs ? answer : previous;
}

/** Where the endpoint's record points in Route 53 now (its host's record, else all of them). */
function authoritativeRegion(world: SimulatedWorld): string {
  const host = new URL(world.config.endpoint.url).hostname.toLowerCase();
  const targets = world.dnsTargets();
  const own = Object.entries(targets).filter(([name]) => name.toLowerCase().replace(/\.$/, '') === host);
  const relevant = own.length > 0 ? own : Object.entries(targets);
  const standby = relevant.every(([, target]) => target === canonicalName(world.config.route53.aliasTarget.dnsName));
  return standby ? world.config.standbyRegion : world.config.primaryRegion;
}

/** Records when the endpoint's authoritative answer changes (checked after every AWS call). */
export function noteDnsAnswer(world: SimulatedWorld): void {
  const now = authoritativeRegion(world);
  if (now === world.dnsAnswer.answer) return;
  world.dnsAnswer = { answer: now, previous: resolvedRegion(world), changedAt: world.now() };
}
