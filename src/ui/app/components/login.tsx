/** The login form (RabbitMQ's: Username, Password, Login). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, errorText, login, type WhoAmI } from '../api';

export function Login({ onLogin }: { onLogin: (me: WhoAmI) => void }): JSX.Element {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onLogin(await login(user, password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? `Login failed: ${err.reason || 'wrong username or password'}` : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} aria-label="Login">
        <h1>
          <span class="logo">Warren</span>
        </h1>
        <label class="field">
          <span>Username</span>
          <input name="username" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required />
        </label>
        <label class="field">
          <span>Password</span>
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Login
        </button>
        {error === '' ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
