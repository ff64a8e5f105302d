import { HttpError } from './objects';

/**
 * Kubernetes RBAC as the API server evaluates it, for the namespaced objects the stand-in serves
 * (Kubernetes documentation, "Using RBAC Authorization", https://kubernetes.io/docs/reference/access-authn-authz/rbac/):
 *
 * - Role vs ClusterRole: "A Role always sets permissions within a particular namespace; when you
 *   create a Role, you have to specify the namespace it belongs in. ClusterRole, by contrast, is a
 *   non-namespaced resource." A Role's rules therefore grant nothing outside its own namespace.
 * - RoleBinding: "A role binding grants the permissions defined in a role to a user or set of
 *   users. It holds a list of subjects (users, groups, or service accounts), and a reference to the
 *   role being granted. A RoleBinding grants permissions within a specific namespace." A RoleBinding
 *   "may reference any Role in the same namespace", or a ClusterRole, whose rules it then grants
 *   only in the RoleBinding's namespace.
 * - Subjects: kind User matches the username, kind Group matches any of the user's groups
 *   (every authenticated user is also in `system:authenticated`; "Authenticating", user groups).
 * - RBAC is purely additive: a request is allowed when some binding's role has a rule that matches
 *   its API group, resource, verb and (when the rule lists any) resource name; otherwise it is denied.
 */

/** A PolicyRule (rbac.authorization.k8s.io/v1). `*` matches anything in apiGroups, resources and verbs. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  /** Empty or absent: every name. */
  resourceNames?: string[];
  verbs: string[];
}

export interface RbacRole {
  kind: 'Role' | 'ClusterRole';
  name: string;
  /** A Role's namespace; a ClusterRole has none. */
  namespace?: string;
  rules: PolicyRule[];
}

export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export interface RbacRoleBinding {
  name: string;
  namespace: string;
  subjects: RbacSubject[];
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
}

export interface RbacPolicy {
  roles: RbacRole[];
  bindings: RbacRoleBinding[];
}

/** Who an authenticated request is (Kubernetes user.Info: username and groups). */
export interface UserInfo {
  username: string;
  groups: string[];
}

/** The group Kubernetes adds to every authenticated user ("Authenticating": system:authenticated). */
export const AUTHENTICATED_GROUP = 'system:authenticated';

type Manifest = {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: Array<{ apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[] }>;
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
  roleRef?: { kind?: string; name?: string };
};

/** The Roles, ClusterRoles and RoleBindings of parsed manifests (other kinds are ignored). */
export function rbacFromManifests(docs: unknown[]): RbacPolicy {
  const manifests = docs.filter((d): d is Manifest => typeof d === 'object' && d !== null);
  const roles: RbacRole[] = manifests
    .filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole')
    .map((d) => ({
      kind: d.kind === 'Role' ? 'Role' : 'ClusterRole',
      name: d.metadata?.name ?? '',
      ...(d.kind === 'Role' ? { namespace: d.metadata?.namespace ?? 'default' } : {}),
      rules: (d.rules ?? []).map((r) => ({ apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], resourceNames: r.resourceNames ?? [], verbs: r.verbs ?? [] })),
    }));
  const bindings: RbacRoleBinding[] = manifests
    .filter((d) => d.kind === 'RoleBinding')
    .map((d) => ({
      name: d.metadata?.name ?? '',
      namespace: d.metadata?.namespace ?? 'default',
      subjects: (d.subjects ?? []).map((s) => ({
        kind: s.kind === 'User' ? 'User' : s.kind === 'ServiceAccount' ? 'ServiceAccount' : 'Group',
        name: s.name ?? '',
        ...(s.namespace ? { namespace: s.namespace } : {}),
      })),
      roleRef: { kind: d.roleRef?.kind === 'ClusterRole' ? 'ClusterRole' : 'Role', name: d.roleRef?.name ?? '' },
    }));
  return { roles, bindings };
}

const API_GROUP: Record<'configmaps' | 'deployments', string> = { configmaps: '', deployments: 'apps' };

/** The request verb of an HTTP method on a single named object (Kubernetes docs, "Authorization": request verbs). */
function verbOf(method: string): string {
  const verbs: Record<string, string> = { GET: 'get', HEAD: 'get', PATCH: 'patch', PUT: 'update', POST: 'create', DELETE: 'delete' };
  return verbs[method] ?? method.toLowerCase();
}

const matches = (list: string[] | undefined, value: string) => (list ?? []).includes('*') || (list ?? []).includes(value);

/** Whether `user` may use `verb` on `resource`/`name` in `namespace` under `policy`. */
export function allowed(policy: RbacPolicy, user: UserInfo, request: { verb: string; apiGroup: string; resource: string; namespace: string; name: string }): boolean {
  const groups = new Set([...user.groups, AUTHENTICATED_GROUP]);
  const bound = (s: RbacSubject) => (s.kind === 'User' && s.name === user.username) || (s.kind === 'Group' && groups.has(s.name));
  return policy.bindings
    // A RoleBinding grants only in its own namespace.
    .filter((b) => b.namespace === request.namespace && b.subjects.some(bound))
    .flatMap((b) =>
      policy.roles.filter(
        (r) => r.name === b.roleRef.name && r.kind === b.roleRef.kind && (r.kind === 'ClusterRole' || r.namespace === b.namespace),
      ),
    )
    .flatMap((r) => r.rules)
    .some(
      (rule) =>
        matches(rule.apiGroups, request.apiGroup) &&
        matches(rule.resources, request.resource) &&
        matches(rule.verbs, request.verb) &&
        ((rule.resourceNames ?? []).length === 0 || (rule.resourceNames ?? []).includes(request.name)),
    );
}

/**
 * The stand-in's authorizer: throws 403 Forbidden with the API server's Status message when RBAC
 * denies. The message is the API server's (k8s.io/apiserver endpoints/handlers/responsewriters
 * `forbiddenMessage` inside apimachinery `NewForbidden`): `<resource>[.<group>] "<name>" is forbidden:
 * User "<username>" cannot <verb> resource "<resource>" in API group "<group>" in the namespace "<namespace>"`.
 */
export function authorizer(policy: RbacPolicy, user: UserInfo): (resource: 'configmaps' | 'deployments', method: string, namespace: string, name: string) => void {
  return (resource, method, namespace, name) => {
    const verb = verbOf(method);
    const apiGroup = API_GROUP[resource];
    if (allowed(policy, user, { verb, apiGroup, resource, namespace, name })) return;
    const qualified = apiGroup ? `${resource}.${apiGroup}` : resource;
    throw new HttpError(
      403,
      'Forbidden',
      `${qualified} "${name}" is forbidden: User "${user.username}" cannot ${verb} resource "${resource}" in API group "${apiGroup}" in the namespace "${namespace}"`,
      { name, group: apiGroup, kind: resource },
    );
  };
}
