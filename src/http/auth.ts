/**
 * Who may call the management API, as RabbitMQ 3.10 decides it (rabbit_mgmt_util:is_authorized*):
 * HTTP basic auth against the broker's users; the loopback-only users (guest) from loopback only;
 * then a management tag (management, policymaker, monitoring or administrator); then the rule of
 * the resource. Refusals are 401 with RabbitMQ's texts.
 */
import type { Broker } from '../broker/broker.js';
import { Access } from '../broker/auth/access.js';
import type { User } from '../broker/auth/users.js';
import { isLoopback } from '../server/handshake.js';
import { credentialsRequired, loginFailed, notAuthorised } from './errors.js';

/**
 * RabbitMQ's authorisation rules for a resource:
 *   any           - is_authorized: any management user
 *   monitor       - is_authorized_monitor: monitoring or administrator
 *   admin         - is_authorized_admin
 *   vhost         - is_authorized_vhost: administrator, or may log in to the path's vhost
 *   vhost-visible - is_authorized_vhost_visible: administrator, or sees the path's vhost
 *   policies      - is_authorized_policies: administrator, or policymaker who may log in to the vhost
 *   policymaker   - is_authorized_global_parameters: administrator or policymaker
 */
export type AuthRule = 'any' | 'monitor' | 'admin' | 'vhost' | 'vhost-visible' | 'policies' | 'policymaker';

const MGMT_TAGS = ['administrator', 'monitoring', 'policymaker', 'management'];

const hasAny = (user: User, tags: readonly string[]): boolean => user.tags.some((t) => tags.includes(t));
export const isAdmin = (user: User): boolean => hasAny(user, ['administrator']);
export const isMonitor = (user: User): boolean => hasAny(user, ['administrator', 'monitoring']);
export const isPolicymaker = (user: User): boolean => hasAny(user, ['administrator', 'policymaker']);

/** Vhosts the user may open (has permissions in). */
export function loginVhosts(broker: Broker, user: User): string[] {
  return [...broker.vhosts.keys()].filter((v) => broker.permissions.get(user.name, v) !== undefined);
}

/** Vhosts the user sees in lists: all for monitors and administrators, else those it may open. */
export function visibleVhosts(broker: Broker, user: User): string[] {
  return isMonitor(user) ? [...broker.vhosts.keys()] : loginVhosts(broker, user);
}

/** The user's access to a vhost, for the broker's entry points (declare, bind, publish...). */
export const accessFor = (broker: Broker, user: User, vhost: string): Access => new Access(user, vhost, broker.permissions);

/** Credentials of an Authorization header; undefined when there are none (or not Basic). */
export function basicCredentials(header: string | undefined): { name: string; password: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+(\S*)\s*$/i.exec(header);
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The request's user, or an HttpError: no credentials -> 401 with the realm and no body (as
 * RabbitMQ's cowboy answers); wrong ones -> 401 "Login failed"; guest from afar -> 401 "User can
 * only log in via localhost"; no management tag -> 401 "Not management user"; the resource's rule
 * failing -> 401 with its text. `vhost` is the path's vhost, when it names one that exists.
 */
export function authenticate(
  broker: Broker,
  header: string | undefined,
  remoteAddress: string | undefined,
  rule: AuthRule,
  vhost: string | undefined,
): User {
  const creds = basicCredentials(header);
  if (creds === undefined) throw credentialsRequired();
  if (creds === 'malformed') {
    broker.authAttempts.record('http', false);
    throw loginFailed();
  }
  const { user } = broker.users.login(creds.name, creds.password);
  broker.authAttempts.record('http', user !== undefined);
  if (user === undefined) throw loginFailed();
  if (broker.config.loopbackUsers.includes(user.name) && !isLoopback(remoteAddress)) {
    throw notAuthorised('User can only log in via localhost');
  }
  if (!hasAny(user, MGMT_TAGS)) throw notAuthorised('Not management user');
  const refusal = check(broker, rule, user, vhost);
  if (refusal !== undefined) throw notAuthorised(refusal);
  return user;
}

/** Why `rule` refuses the user, or undefined. A vhost that does not exist passes (the resource 404s). */
function check(broker: Broker, rule: AuthRule, user: User, vhost: string | undefined): string | undefined {
  const known = vhost !== undefined && broker.vhosts.has(vhost);
  const mayLogin = (): boolean => !known || broker.permissions.get(user.name, vhost) !== undefined;
  switch (rule) {
    case 'any':
      return undefined;
    case 'monitor':
      return isMonitor(user) ? undefined : 'Not monitor user';
    case 'admin':
      return isAdmin(user) ? undefined : 'Not administrator user';
    case 'vhost':
      return isAdmin(user) || mayLogin() ? undefined : 'User not authorised to access virtual host';
    case 'vhost-visible':
      return isAdmin(user) || isMonitor(user) || mayLogin() ? undefined : 'User not authorised to access virtual host';
    case 'policies':
      return isAdmin(user) || (isPolicymaker(user) && mayLogin()) ? undefined : 'User not authorised to access object';
    case 'policymaker':
      return isPolicymaker(user) ? undefined : 'User not authorised to access object';
  }
}
