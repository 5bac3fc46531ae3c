/** The app: the login form until whoami succeeds, then the page the hash route names. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { credentials, request, setUnauthorisedHandler, type WhoAmI } from './api';
import { Layout } from './components/layout';
import { Login } from './components/login';
import { useRoute } from './hooks';
import { Routes } from './routes';

export function App(): JSX.Element {
  const [me, setMe] = useState<WhoAmI | null>(null);
  const [checking, setChecking] = useState(credentials.get() !== null);
  const route = useRoute();

  useEffect(() => {
    setUnauthorisedHandler(() => {
      credentials.clear();
      setMe(null);
    });
    if (credentials.get() === null) return;
    // A reload keeps the session: check the stored credentials are still good.
    request<WhoAmI>('GET', 'whoami').then(setMe, () => credentials.clear()).finally(() => setChecking(false));
  }, []);

  if (checking) return <p class="muted center">Loading…</p>;
  if (me === null) return <Login onLogin={setMe} />;
  const logout = (): void => {
    credentials.clear();
    setMe(null);
  };
  return (
    <Layout user={me.name} route={route} onLogout={logout}>
      <Routes route={route} />
    </Layout>
  );
}
