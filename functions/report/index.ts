import { clock } from '../shared/clock';
import { defineStep } from '../shared/handler';
import { buildReport, ReportInputSchema } from './logic';

export const handler = defineStep('Report', ReportInputSchema, (input) => buildReport(input, clock.now()));
