import { hostname } from 'node:os';

/** RabbitMQ's default node name, `rabbit@<short hostname>`, in Warren's form. */
export const defaultNodeName = (): string => `warren@${hostname().split('.')[0] ?? 'localhost'}`;
