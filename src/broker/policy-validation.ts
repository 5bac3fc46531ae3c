/**
 * Policy validation as RabbitMQ 3.13 does it (rabbit_policy, rabbit_parameter_validation,
 * rabbit_policies, rabbit_mirror_queue_misc and its ha modes, rabbit_queue_location_validator,
 * rabbit_quorum_queue), with its texts: values are printed as Erlang terms (~tp), e.g.
 * `<<"foo">> is not a valid overflow value`, `[{<<"foo">>,1}] are not recognised policy settings`.
 *
 * Order (verified with rabbitmqctl against 3.10.8, whose texts match apart from 3.13's extra
 * apply-to values): all failing parts are reported, definition first, then apply-to, pattern,
 * priority. Inside the definition one error is reported: the first failing validator module
 * (location, core policies, mirroring, quorum, Warren), keys in sorted order; unclaimed keys last.
 *
 * Deviations: JSON numbers reach us as JS numbers, so 1.0 counts as the integer 1 (Erlang keeps
 * it a float); patterns are compiled as JS RegExps (a leading PCRE `(?i)`/`(?m)`/`(?s)` becomes a
 * flag); for invalid patterns the common PCRE errors are reproduced with their offsets, others
 * give the JS message.
 */
import { atom, charlist, ErlAtom, ErlMap, formatErlang, tuple, type ErlTerm } from './erlang-term.js';
import type { Policy } from './policy.js';

export class PolicyValidationError extends Error {
  readonly code = 'ERR_POLICY_VALIDATION';
  /** The individual errors; `message` is RabbitMQ's whole text ("Validation failed\n\n..."). */
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`Validation failed\n\n${errors.map((e) => `${e}\n`).join('')}`);
    this.name = 'PolicyValidationError';
    this.errors = errors;
  }
}

/** A JSON-ish value as the Erlang term rabbit_json makes of it (objects become maps, sorted). */
export function toTerm(v: unknown): ErlTerm {
  if (typeof v === 'number' && !Number.isFinite(v)) return atom(String(v).toLowerCase());
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'bigint') return v;
  if (v === undefined) return atom('undefined');
  if (v instanceof ErlAtom) return v;
  if (Array.isArray(v)) return v.map(toTerm);
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort(byteOrder);
    return new ErlMap(keys.map((k) => [k, toTerm((v as Record<string, unknown>)[k])] as const));
  }
  return atom(String(v));
}

export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** `prefix` + value as ~tp + `suffix`. */
const tp = (prefix: string, v: unknown, suffix = ''): string => formatErlang(prefix, toTerm(v), { unicode: true }) + suffix;
const NONE = atom('none');

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const intAtLeast = (min: number, what: string) => (v: unknown) => (isInt(v) && v >= min ? undefined : tp('', v, ` is not a valid ${what}`));
const isString = (what: string) => (v: unknown) => (typeof v === 'string' ? undefined : tp('', v, ` is not a valid ${what}`));
const oneOf = (values: readonly unknown[], what: string) => (v: unknown) => (values.includes(v) ? undefined : tp('', v, ` is not a valid ${what}`));

/** rabbit_policies:validate_policy0/2. */
const CORE: Record<string, (v: unknown) => string | undefined> = {
  'alternate-exchange': isString('alternate exchange name'),
  'consumer-timeout': intAtLeast(0, 'consumer timeout'),
  'dead-letter-exchange': isString('dead letter exchange name'),
  'dead-letter-routing-key': isString('dead letter routing key'),
  'dead-letter-strategy': oneOf(['at-most-once', 'at-least-once'], 'dead letter strategy'),
  'message-ttl': intAtLeast(0, 'message TTL'),
  expires: intAtLeast(1, 'queue expiry'),
  'max-length': intAtLeast(0, 'maximum length'),
  'max-length-bytes': intAtLeast(0, 'maximum length in bytes'),
  'max-in-memory-length': intAtLeast(0, 'maximum memory in bytes'),
  'max-in-memory-bytes': intAtLeast(0, 'maximum memory in bytes'),
  'queue-mode': oneOf(['default', 'lazy'], 'queue-mode value'),
  'queue-version': oneOf([1, 2], 'queue-version value'),
  overflow: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'overflow value'),
  'delivery-limit': intAtLeast(0, 'delivery limit'),
  'max-age': (v) => (typeof v === 'string' && validMaxAge(v) ? undefined : tp('', v, ' is not a valid max age')),
  'queue-leader-locator': oneOf(['client-local', 'balanced', 'random', 'least-leaders'], 'queue leader locator value'),
  'initial-cluster-size': intAtLeast(0, 'cluster size'),
  'stream-max-segment-size-bytes': (v) => (isInt(v) && v >= 0 && v <= 3_000_000_000 ? undefined : tp('', v, ' is not a valid segment size')),
  'stream-filter-size-bytes': (v) =>
    isInt(v) && v >= 16 && v <= 255 ? undefined : tp('', v, ' is not a valid filter size. Valid range is 16-255'),
};
const CORE_OPERATOR_KEYS = [
  'expires', 'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length', 'max-in-memory-bytes',
  'delivery-limit', 'queue-version', 'overflow',
];

/** rabbit_amqqueue:check_max_age/1: a positive integer and one unit of Y M D h m s. */
function validMaxAge(v: string): boolean {
  const m = /^([0-9]*)(.*)$/s.exec(v);
  return m !== null && m[1] !== '' && Number(m[1]) > 0 && ['Y', 'M', 'D', 'h', 'm', 's'].includes(m[2] ?? '');
}

type Scope = ReadonlyMap<string, unknown>;
interface Module {
  keys: readonly string[];
  operatorKeys: readonly string[];
  validate(scope: Scope): string | undefined;
}

const MIRROR_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-sync-batch-size', 'ha-promote-on-shutdown', 'ha-promote-on-failure'];

/** rabbit_mirror_queue_misc:validate_policy/1 and the ha modes' validate_policy/1. */
function validateMirroring(scope: Scope): string | undefined {
  if (scope.size === 0) return undefined;
  const mode = scope.get('ha-mode');
  const params = scope.get('ha-params');
  if (mode === undefined) return 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown';
  if (mode !== 'all' && mode !== 'exactly' && mode !== 'nodes') return tp('', mode, ' is not a valid ha-mode value');
  if (mode === 'all' && params !== undefined) return 'ha-mode="all" does not take parameters';
  if (mode === 'exactly' && !(isInt(params) && params > 0)) return tp('ha-mode="exactly" takes an integer, ', params ?? NONE, ' given');
  if (mode === 'nodes') {
    if (!Array.isArray(params)) return tp('ha-mode="nodes" takes a list, ', params ?? NONE, ' given');
    if (params.length === 0) return 'ha-mode="nodes" list must be non-empty';
    const invalid = params.filter((n) => typeof n !== 'string');
    if (invalid.length > 0) return tp('ha-mode="nodes" takes a list of strings, ', invalid, ' was not a string');
  }
  const sync = scope.get('ha-sync-mode');
  if (sync !== undefined && sync !== 'automatic' && sync !== 'manual') return tp('ha-sync-mode must be "manual" or "automatic", got ', sync);
  const batch = scope.get('ha-sync-batch-size');
  if (batch !== undefined && !(isInt(batch) && batch > 0)) return tp('ha-sync-batch-size takes an integer greater than 0, ', batch, ' given');
  for (const key of ['ha-promote-on-shutdown', 'ha-promote-on-failure']) {
    const v = scope.get(key);
    if (v !== undefined && v !== 'always' && v !== 'when-synced') return tp(`${key} must be "always" or "when-synced", got `, v);
  }
  return undefined;
}

const MODULES: readonly Module[] = [
  {
    keys: ['queue-master-locator'],
    operatorKeys: [],
    validate: (s) => {
      const v = s.get('queue-master-locator');
      return ['client-local', 'min-masters', 'random'].includes(v as string) ? undefined : tp('', v, ' invalid queue-master-locator value');
    },
  },
  {
    keys: Object.keys(CORE),
    operatorKeys: CORE_OPERATOR_KEYS,
    validate: (s) => {
      for (const [key, v] of s) {
        const error = CORE[key]?.(v);
        if (error !== undefined) return error;
      }
      return undefined;
    },
  },
  { keys: MIRROR_KEYS, operatorKeys: ['ha-mode', 'ha-params', 'ha-sync-mode'], validate: validateMirroring },
  {
    keys: ['target-group-size'],
    operatorKeys: ['target-group-size'],
    validate: (s) => {
      const v = s.get('target-group-size');
      return isInt(v) && v > 0 ? undefined : tp('', v, ' is not a valid qq target count value');
    },
  },
  {
    // Warren (as LavinMQ): delayed delivery on a queue, driven by the x-delay header.
    keys: ['delayed-message'],
    operatorKeys: [],
    validate: (s) => {
      const v = s.get('delayed-message');
      return typeof v === 'boolean' ? undefined : tp('', v, ' is not a valid delayed-message value');
    },
  },
];

/** Every definition key a policy (or operator policy) may carry. */
export const POLICY_KEYS: ReadonlySet<string> = new Set(MODULES.flatMap((m) => m.keys));
export const OPERATOR_POLICY_KEYS: ReadonlySet<string> = new Set(MODULES.flatMap((m) => m.operatorKeys));

function validateDefinition(name: string, definition: unknown, operator: boolean): string | undefined {
  if (Array.isArray(definition)) return definition.length === 0 ? 'no policy provided' : tp('definition must be a dictionary: ', definition);
  if (typeof definition !== 'object' || definition === null) {
    return tp(`parse error while reading policy ${name}: `, definition, `. Validator: ${operator ? 'operator_' : ''}policy_validator.`);
  }
  const terms = Object.entries(definition).sort(([a], [b]) => byteOrder(a, b));
  if (terms.length === 0) return 'no policy provided';
  const claimed = new Set<string>();
  for (const m of MODULES) {
    const keys = operator ? m.operatorKeys : m.keys;
    const scope = new Map(terms.filter(([k]) => keys.includes(k)));
    if (scope.size === 0) continue;
    for (const k of scope.keys()) claimed.add(k);
    const error = m.validate(scope);
    if (error !== undefined) return error;
  }
  const rest = terms.filter(([k]) => !claimed.has(k));
  if (rest.length === 0) return undefined;
  const list = rest.map(([k, v]) => tuple(k, toTerm(v)));
  return `${formatErlang('', list, { unicode: true })} are not recognised policy settings`;
}

const APPLY_TO = ['all', 'exchanges', 'queues', 'classic_queues', 'quorum_queues', 'streams'];

/** RabbitMQ's errors for a policy, in its order; empty when valid. */
export function validatePolicy(p: Policy): string[] {
  const errors: string[] = [];
  const definitionError = validateDefinition(p.name, p.definition, p.operator);
  if (definitionError !== undefined) errors.push(definitionError);
  if (!APPLY_TO.includes(p.applyTo)) {
    errors.push(
      `apply-to '${String(p.applyTo)}' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', 'streams', 'exchanges', or 'all'`,
    );
  }
  if (typeof p.pattern !== 'string') errors.push(tp('pattern should be a binary but was ', p.pattern));
  else {
    const compiled = compilePattern(p.pattern);
    if (!(compiled instanceof RegExp)) errors.push(formatErlang('pattern should be regular expression but is invalid: ', compiled, { unicode: true }));
  }
  if (typeof p.priority !== 'number' || !Number.isFinite(p.priority)) errors.push(tp('priority should be a number, actually was ', p.priority));
  return errors;
}

/**
 * A policy pattern as a RegExp, or PCRE's compile error as RabbitMQ prints it ({"missing )",1}).
 * A leading PCRE option setting such as (?i) becomes the RegExp flag.
 */
export function compilePattern(pattern: string): RegExp | ErlTerm {
  const opts = /^\(\?([ims]+)\)/.exec(pattern);
  const flags = opts === null ? '' : [...new Set(opts[1])].join('');
  try {
    return new RegExp(pattern.slice(opts?.[0].length ?? 0), flags);
  } catch (e) {
    const detail = /: ([^:]*)$/.exec(e instanceof Error ? e.message : '')?.[1] ?? 'invalid pattern';
    const [text, offset] = pcreError(pattern, detail);
    return tuple(charlist(text), offset);
  }
}

/** PCRE's message and byte offset for the JS RegExp error `detail`. */
function pcreError(p: string, detail: string): [string, number] {
  const end = Buffer.byteLength(p);
  const at = (i: number): number => Buffer.byteLength(p.slice(0, i));
  switch (detail) {
    case 'Unterminated group':
      return ['missing )', end];
    case 'Unterminated character class':
      return ['missing terminating ] for character class', end];
    case '\\ at end of pattern':
      return ['\\ at end of pattern', end];
    case "Unmatched ')'":
      return ['unmatched parentheses', at(scan(p).unmatched ?? 0)];
    case 'Nothing to repeat':
      return ['nothing to repeat', at(scan(p).nothing ?? 0)];
    case 'numbers out of order in {} quantifier': {
      const m = [...p.matchAll(/\{(\d+),(\d+)\}/g)].find((x) => Number(x[1]) > Number(x[2]));
      return [detail, at(m === undefined ? 0 : (m.index ?? 0) + m[0].length - 1)];
    }
    case 'Range out of order in character class': {
      const m = [...p.matchAll(/([^\\\]])-([^\]])/g)].find((x) => (x[1] ?? '') > (x[2] ?? ''));
      return ['range out of order in character class', at(m === undefined ? 0 : (m.index ?? 0) + 2)];
    }
    case 'Invalid group':
      return ['unrecognized character after (? or (?-', at(p.indexOf('(?') + 2)];
    default:
      return [detail.charAt(0).toLowerCase() + detail.slice(1), 0];
  }
}

/** Where a pattern first closes a group it did not open, or repeats nothing. */
function scan(p: string): { unmatched?: number; nothing?: number } {
  let depth = 0;
  let canRepeat = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      canRepeat = true;
    } else if (c === '[') {
      const close = /^\[\^?\]?(?:\\.|[^\]])*\]/s.exec(p.slice(i));
      i += (close?.[0].length ?? p.length) - 1;
      canRepeat = true;
    } else if (c === '(') {
      depth++;
      canRepeat = false;
      i += /^\(\?(?::|=|!|<=|<!|P?<[A-Za-z_]\w*>)/.exec(p.slice(i))?.[0].length ?? 1;
      i--;
    } else if (c === ')') {
      if (depth === 0) return { unmatched: i };
      depth--;
      canRepeat = true;
    } else if (c === '*' || c === '+' || c === '?') {
      if (!canRepeat) return { nothing: i };
      canRepeat = false;
      if (p[i + 1] === '?') i++;
    } else canRepeat = c !== '|' && c !== '^';
  }
  return {};
}
