/**
 * Every body schema of the management API compiles (they are compiled lazily, on first use, so a
 * broken one would otherwise show only as a 500 on its first request), and every resource has an
 * authorisation rule for each of its methods.
 */
import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../src/http/server.js';
import { validatorOf } from '../../../src/http/validation.js';

describe('management API resources', () => {
  it.each(RESOURCES.map((r) => [r.path, r] as const))('%s: schemas compile, methods have an auth rule', (_path, r) => {
    for (const body of [r.put, r.post]) if (body?.schema !== undefined) expect(() => validatorOf(body.schema as object)).not.toThrow();
    for (const m of ['get', 'put', 'post', 'delete'] as const) {
      if (r[m] === undefined) continue;
      const rule = typeof r.auth === 'string' ? r.auth : r.auth[m.toUpperCase() as 'GET'];
      expect(rule, `${m} ${r.path}`).toBeDefined();
    }
  });

  it('has each path once', () => {
    const paths = RESOURCES.map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
});
