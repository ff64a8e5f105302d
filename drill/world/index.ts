/**
 * The simulated two-Region world the drill runs against: one module per AWS service (each
 * installing its command handlers), the public endpoint (endpoint.ts), the fault machinery and
 * call log (faults.ts), seed data (fixtures.ts), and the single dispatch point every AWS command
 * passes through (dispatch.ts).
 */
export { SimulatedWorld, type Effect } from './simulated-world';
export { MUTATING_COMMANDS, type AwsCall } from './faults';
export { WORLD_ACCOUNT, WORLD_CREDENTIALS, WORLD_SLACK, kubernetesStepsIdentity, shippedRbac } from './fixtures';
export { handle, type Answer, type CallContext, type Handler } from './dispatch';
export { SimulatedHostedZone, canonicalName } from './route53-zone';
export { denialOf, iamCallAuthorizer, UnattributedCallError, type CallAuthorizer, type IamDenial } from './authorization';
export { installIam } from './iam';
export { applyFaultSchedule, healWorld, lastingConditions, sdkError, CONDITION_STATES, EARLIER_EXECUTION_ARN } from './fault-engine';
