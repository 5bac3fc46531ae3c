import { describe, expect, it } from 'vitest';
import { connectionName, ntoa } from '../../../src/server/connection-session.js';

describe('connection names', () => {
  it('are RabbitMQ\'s "peer:port -> local:port", IPv4-mapped addresses unmapped, IPv6 in brackets', () => {
    expect(connectionName('127.0.0.1', 54321, '127.0.0.1', 5672)).toBe('127.0.0.1:54321 -> 127.0.0.1:5672');
    expect(connectionName('::ffff:10.0.0.2', 40000, '::ffff:10.0.0.1', 5672)).toBe('10.0.0.2:40000 -> 10.0.0.1:5672');
    expect(connectionName('::1', 40000, '::1', 5671)).toBe('[::1]:40000 -> [::1]:5671');
  });

  it('show peer hosts without brackets', () => {
    expect(ntoa('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(ntoa('fe80::1')).toBe('fe80::1');
  });
});
