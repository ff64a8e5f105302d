import { checkPrimary } from '../../functions/primary-probe/logic';
import { toRuntimeTargets } from '../../stacks/config';
import { SimulatedWorld, WORLD_ACCOUNT } from '../../drill/world';
import { testConfig } from '../support/config';

/**
 * The primary health URL as the standby Region's probe sees it: in an outage the primary's load
 * balancer does not answer, and the probe (the real check the primary-health alarm is fed by)
 * reports it unhealthy; with a healthy primary it answers 200.
 */
const config = testConfig('prod');
const certificateArn = `arn:aws:acm:${config.standbyRegion}:${WORLD_ACCOUNT}:certificate/x`;
const target = { environment: config.name, url: config.alarms.primaryHealthUrl, timeoutMs: 1000 };

async function probeIn(primaryOutage: boolean) {
  const world = new SimulatedWorld(config, toRuntimeTargets(config, certificateArn), undefined, primaryOutage);
  await world.start();
  try {
    return await checkPrimary({ fetch: globalThis.fetch, now: () => new Date() }, target);
  } finally {
    await world.stop();
  }
}

describe("the drill world's primary health URL", () => {
  it('does not answer in a primary outage, so the probe reports the primary unhealthy', async () => {
    await expect(probeIn(true)).resolves.toMatchObject({ healthy: false });
  });

  it('answers 200 while the primary is healthy', async () => {
    await expect(probeIn(false)).resolves.toMatchObject({ healthy: true, detail: 'HTTP 200' });
  });
});
