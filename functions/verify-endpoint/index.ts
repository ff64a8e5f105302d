import { clock } from '../shared/clock';
import { EndpointTargetSchema, stepInput } from '../shared/contracts';
import { defineStep } from '../shared/handler';
import { STEP_NAME, verifyEndpoint } from './logic';

const deps = { fetch: (url: string, init: RequestInit) => fetch(url, init), clock };

export const handler = defineStep(STEP_NAME, stepInput(EndpointTargetSchema), (input) => verifyEndpoint(deps, input));
