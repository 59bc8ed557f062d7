import { type FormEvent, useState } from 'react';
import { describeError } from '../api/messages.ts';
import { forgotPassword, resetPassword } from '../api/session.ts';
import { Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';

/** "Forgot your password?": a code by mail, then a new password. */
export function ResetPasswordScreen() {
  const [step, setStep] = useState<'ask' | 'reset' | 'done'>('ask');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const run = (work: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (step === 'done') {
    return (
      <Page title="Password changed">
        <Notice kind="success" testId="password-changed">
          Your password is changed, and you are signed out everywhere.
        </Notice>
        <p>
          <Link href="/login">Sign in</Link> with the new password.
        </p>
      </Page>
    );
  }
  return (
    <Page title="Reset your password">
      {step === 'ask' ? (
        <form
          className="card form narrow"
          onSubmit={run(async () => {
            await forgotPassword(email);
            setStep('reset');
          })}
        >
          <p>We send a 6-digit code to your address if it has an account.</p>
          <label>
            Email
            <input type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} disabled={busy} />
          </label>
          {error ? <Notice kind="error">{error}</Notice> : null}
          <button type="submit" disabled={busy}>
            Send me a code
          </button>
        </form>
      ) : (
        <form
          className="card form narrow"
          onSubmit={run(async () => {
            if (password.length < 10) throw new Error('Use a password of at least 10 characters.');
            await resetPassword(email, code.trim(), password);
            setStep('done');
          })}
        >
          <Notice kind="info">If {email} has an account, a code is on its way. It is good for 15 minutes.</Notice>
          <label>
            Code
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
              disabled={busy}
            />
          </label>
          <label>
            New password
            <input type="password" name="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} disabled={busy} />
            <span className="muted small hint">At least 10 characters.</span>
          </label>
          {error ? <Notice kind="error">{error}</Notice> : null}
          <button type="submit" disabled={busy || code.length !== 6}>
            Set the new password
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => setStep('ask')}>
            Use another address
          </button>
        </form>
      )}
    </Page>
  );
}
