import { type FormEvent, useState } from 'react';
import { type ChallengePurpose, withChallenge } from '../api/altcha.ts';
import { ApiError } from '../api/http.ts';
import { describeError } from '../api/messages.ts';
import { describePasskeyError, passkeyAssertion, passkeyLogin, passkeysSupported } from '../api/passkeys.ts';
import { login, register } from '../api/session.ts';
import { ChallengeProgress } from '../components/challenge-progress.tsx';
import { Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { Link, navigate } from '../router.tsx';

type Phase = { step: 'idle' } | { step: 'challenge'; estimate: number; label: string } | { step: 'sending' };

/** Sign-in and registration: both pass a proof-of-work challenge solved in Web Workers. */
export function AuthScreen({ mode, next }: { mode: 'login' | 'register'; next: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Shown once the server says the account needs its authenticator app's code.
  const [needsOtp, setNeedsOtp] = useState(false);
  const [otp, setOtp] = useState('');
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [error, setError] = useState<string>();
  const busy = phase.step !== 'idle';
  const registering = mode === 'register';
  const safeNext = next.startsWith('/') && !next.startsWith('//') ? next : '/';

  // Solves a challenge for `purpose`, sends, and follows a refusal that asks for a harder one.
  const withCheck = <T,>(purpose: ChallengePurpose, label: string, send: (altcha: string) => Promise<T>) =>
    withChallenge(
      purpose,
      (altcha) => {
        setPhase({ step: 'sending' });
        return send(altcha);
      },
      (estimate) => setPhase({ step: 'challenge', estimate, label }),
    );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (registering && password.length < 10) {
      setError('Use a password of at least 10 characters.');
      return;
    }
    try {
      if (registering) {
        await withCheck('register', 'Checking this browser is not a bot', (altcha) =>
          register(email, password, altcha),
        );
      }
      await withCheck(
        'login',
        registering ? 'Account created. Signing you in' : 'Checking this browser is not a bot',
        (altcha) => login(email, password, altcha, needsOtp ? otp : undefined),
      );
      navigate(safeNext, { replace: true });
    } catch (err) {
      setPhase({ step: 'idle' });
      if (err instanceof ApiError && err.code === 'mfa_required') {
        setError(needsOtp ? 'That code is wrong or was already used. Enter the current one.' : undefined);
        setNeedsOtp(true);
        setOtp('');
      } else if (err instanceof ApiError && err.code === 'email_taken') {
        setError('That email is already registered. Sign in instead.');
      } else setError(describeError(err));
    }
  };

  // A passkey needs no email or password: the browser offers the passkeys it has for this site.
  const signInWithPasskey = async () => {
    setError(undefined);
    setPhase({ step: 'sending' });
    try {
      const assertion = await passkeyAssertion();
      await withCheck('login', 'Checking this browser is not a bot', (altcha) => passkeyLogin(assertion, altcha));
      navigate(safeNext, { replace: true });
    } catch (err) {
      setPhase({ step: 'idle' });
      setError(describePasskeyError(err) ?? describeError(err));
    }
  };

  const other = `${registering ? '/login' : '/register'}${safeNext !== '/' ? `?next=${encodeURIComponent(safeNext)}` : ''}`;
  return (
    <Page title={registering ? 'Create an account' : 'Sign in'}>
      <form className="card form narrow" onSubmit={submit} noValidate={false}>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            disabled={busy}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={registering ? 10 : 1}
            aria-describedby={registering ? 'password-hint' : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={busy}
          />
          {registering ? (
            <span id="password-hint" className="muted small hint">
              At least 10 characters.
            </span>
          ) : null}
        </label>
        {needsOtp ? (
          <label>
            Code from your authenticator app
            <input
              name="otp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              autoFocus
              value={otp}
              onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))}
              disabled={busy}
            />
          </label>
        ) : null}
        {error ? <Notice kind="error">{error}</Notice> : null}
        {phase.step === 'challenge' ? (
          <ChallengeProgress estimate={phase.estimate} label={phase.label} />
        ) : null}
        {phase.step === 'sending' ? (
          <p role="status" className="muted">
            {registering ? 'Creating your account…' : 'Signing in…'}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {registering ? 'Create account' : 'Sign in'}
        </button>
        {registering || !passkeysSupported() ? null : (
          <button type="button" className="secondary" disabled={busy} onClick={() => void signInWithPasskey()}>
            Sign in with a passkey
          </button>
        )}
        {registering ? null : (
          <p className="muted">
            <Link href="/reset-password">Forgot your password?</Link>
          </p>
        )}
        <p className="muted">
          {registering ? 'Already registered? ' : 'New here? '}
          <Link href={other}>{registering ? 'Sign in' : 'Create an account'}</Link>
        </p>
      </form>
    </Page>
  );
}
