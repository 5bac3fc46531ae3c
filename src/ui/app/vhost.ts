/** The header's "Virtual host" choice (RabbitMQ's: All or one), which the lists follow. Kept for the session. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

const KEY = 'warren-vhost';

export interface VhostChoice {
  /** '' for all virtual hosts */
  vhost: string;
  setVhost: (v: string) => void;
}

export const VhostContext = createContext<VhostChoice>({ vhost: '', setVhost: () => {} });

export const useVhost = (): VhostChoice => useContext(VhostContext);

export const storedVhost = {
  get: (): string => sessionStorage.getItem(KEY) ?? '',
  set: (v: string): void => (v === '' ? sessionStorage.removeItem(KEY) : sessionStorage.setItem(KEY, v)),
};
