/**
 * Body validation for fastify's `schema.body`, with one ajv for the whole process. Each schema is
 * compiled on its first use and kept: starting a management server compiles nothing (ajv needs
 * ~5 ms a schema, ~200 ms for its first, which would otherwise land on every startBroker), and
 * brokers started side by side in one process (tests) share the compiled validators.
 *
 * ajv validates only: no type coercion ("5" stays a string), no defaults added, no properties
 * removed; all errors are reported, so every missing key is listed as RabbitMQ lists them.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

let ajv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** The compiled validator of a schema (compiled now if it was not yet). */
export function validatorOf(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (fn === undefined) {
    ajv ??= new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: true });
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** fastify's validator compiler: a function that compiles its schema when first called. */
export const lazyValidatorCompiler: FastifySchemaCompiler<object> = ({ schema }) => {
  const validate = (data: unknown): boolean => {
    const fn = validatorOf(schema);
    const ok = fn(data);
    (validate as { errors?: unknown }).errors = fn.errors;
    return ok;
  };
  return validate;
};
