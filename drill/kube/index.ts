export { KubeApiStandIn, type FaultFilter, type KubeFault, type KubeFaultKind, type KubeApiStandInOptions, type RequestLogEntry, type StandInEndpoint } from './server';
export { mergePatch, type RolloutOutcome, type SeedDeploymentOptions } from './objects';
export { allowed, authorizer, rbacFromManifests, AUTHENTICATED_GROUP, type PolicyRule, type RbacPolicy, type RbacRole, type RbacRoleBinding, type RbacSubject, type UserInfo } from './rbac';
export { verifyEksToken, type StaticCredentials, type TokenCheckOptions } from './token';
export { KubernetesRequestLog, type KubernetesRequestRecord } from './client-log';
