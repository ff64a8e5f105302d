import { PublishCommand, SNSClient, type PublishCommandInput, type PublishCommandOutput } from '@aws-sdk/client-sns';
import { stubClient, type Answer } from './dispatch';
import type { SimulatedWorld } from './simulated-world';

export function installSns(world: SimulatedWorld): void {
  const on = stubClient(world, SNSClient);
  on(PublishCommand, (input: PublishCommandInput): Answer<PublishCommandOutput> => {
    const entry = { subject: input.Subject, message: JSON.parse(input.Message ?? 'null') as unknown };
    world.published.push(entry);
    world.onPublish?.({ ...entry, raw: input.Message ?? '' });
    return { MessageId: `msg-${world.published.length}` };
  });
}
