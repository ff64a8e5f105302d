import { handler } from '../../functions/validate-input';
import { validateInput } from '../../functions/validate-input/logic';
import { lambdaContext } from '../support/lambda';

describe('Validate input', () => {
  it('accepts a manual emergency run and fills the defaults', () => {
    expect(validateInput({ mode: 'emergency', dryRun: false, reason: 'Seoul down' })).toEqual({
      mode: 'emergency',
      dryRun: false,
      reason: 'Seoul down',
      requestedBy: 'unknown',
      trigger: { type: 'manual' },
    });
  });

  it('names the alarm as requester of an alarm-triggered run', () => {
    const input = validateInput({
      mode: 'emergency',
      dryRun: false,
      reason: 'primary health alarm',
      trigger: { type: 'alarm', alarmName: 'portforge-seoul-health', time: '2026-11-27T03:00:00Z' },
    });
    expect(input.requestedBy).toBe('alarm:portforge-seoul-health');
  });

  it.each([
    [{ mode: 'emergency', dryRun: false }, /reason/],
    [{ mode: 'emergency', dryRun: false, reason: '   ' }, /reason must say why/],
    [{ mode: 'sideways', dryRun: false, reason: 'x' }, /mode/],
    [{ mode: 'planned', dryRun: 'no', reason: 'x' }, /dryRun/],
    [{ mode: 'planned', dryRun: true, reason: 'x', targetCluster: 'other' }, /targetCluster/],
    [null, /object/],
  ])('rejects %j with InputValidationError naming the field', async (raw, field) => {
    await expect(handler({ raw }, lambdaContext())).rejects.toMatchObject({ name: 'InputValidationError', message: expect.stringMatching(field) });
  });

  it('stamps the validated input with the step start, which the report uses as the run start', async () => {
    const out = await handler({ raw: { mode: 'planned', dryRun: true, reason: 'quarterly drill' } }, lambdaContext());
    expect(out).toMatchObject({ mode: 'planned', dryRun: true, startedAt: expect.stringMatching(/^\d{4}-/) });
  });
});
