import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { z } from 'zod';
import { DnsZoneTargetSchema, PollInputSchema, type PollResult } from '../shared/contracts';

export const STEP_NAME = 'Check DNS change';

/** Status reported when no change was submitted (dry run, or every record of the zone already in place). */
export const SKIPPED_STATUS = 'skipped';

/** The zone switch's `changeId` rides along with the poll input; null when it changed nothing. */
export const CheckDnsChangeInputSchema = PollInputSchema(DnsZoneTargetSchema).extend({
  changeId: z.string().nullable(),
});
export type CheckDnsChangeInput = z.output<typeof CheckDnsChangeInputSchema>;

export interface CheckDnsChangeDeps {
  route53: Route53Client;
}

/** One poll per zone: done once Route 53 reports the zone's change INSYNC on all its name servers. */
export async function checkDnsChange(deps: CheckDnsChangeDeps, input: CheckDnsChangeInput): Promise<PollResult> {
  const attempt = input.attempt + 1;
  if (input.dryRun || input.changeId === null) {
    return { step: STEP_NAME, done: true, attempt, status: SKIPPED_STATUS };
  }
  const out = await deps.route53.send(new GetChangeCommand({ Id: input.changeId }));
  const status = out.ChangeInfo?.Status;
  return { step: STEP_NAME, done: status === 'INSYNC', attempt, status: status ?? 'unknown' };
}
