/**
 * Global runtime parameters (RabbitMQ's rabbit_runtime_parameters set_global/clear_global): named
 * JSON values that belong to no vhost. The one Warren reads is `cluster_name`, which overrides the
 * configured cluster name. Kept in the store as parameters of component "global" with vhost ''.
 */
import type { DefinitionStorage } from '../store/storage.js';

/** The component name global parameters are stored under. */
export const GLOBAL_COMPONENT = 'global';

export class GlobalParameters {
  private readonly values = new Map<string, unknown>();
  /** where changes are written (set after recovery); null: memory only */
  storage: DefinitionStorage | null = null;

  get(name: string): unknown {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** In name order. */
  list(): { name: string; value: unknown }[] {
    return [...this.values.keys()].sort().map((name) => ({ name, value: this.values.get(name) }));
  }

  set(name: string, value: unknown): void {
    this.values.set(name, value);
    this.storage?.putParameter({ component: GLOBAL_COMPONENT, vhost: '', name, value });
  }

  delete(name: string): boolean {
    if (!this.values.delete(name)) return false;
    this.storage?.deleteParameter(GLOBAL_COMPONENT, '', name);
    return true;
  }

  /** Recovery: a stored value, not written again. */
  restore(name: string, value: unknown): void {
    this.values.set(name, value);
  }
}
