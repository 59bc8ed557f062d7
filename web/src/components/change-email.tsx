import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/http.ts';
import { describeError } from '../api/messages.ts';
import { confirmEmailChange, requestEmailChange } from '../api/session.ts';
import { useResendCooldown } from '../use-resend-cooldown.ts';
import { Notice } from './notice.tsx';

/**
 * "Change email": the new address and the current password (and the app's code, if set) -> the
 * 6-digit code mailed to the new address -> the account has the new address, verified. The old
 * address is told by mail; until the code is entered nothing changes.
 */
export function ChangeEmail({ current, needsOtp }: { current: string; needsOtp: boolean }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [code, setCode] = useState('');
  /** The address the code was sent to, once it was. */
  const [pending, setPending] = useState<string>();
  const [changedTo, setChangedTo] = useState<string>();
  const cooldown = useResendCooldown();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      cooldown.refused(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  // The app's code is good once: a resend needs a fresh one, so it is asked for again.
  const ask = () =>
    run(async () => {
      // Compared as the server does (trimmed, lower-cased).
      if (email.trim().toLowerCase() === current) throw new Error('That is already your address.');
      await requestEmailChange(email.trim(), password, needsOtp ? otp : undefined);
      setPending(email.trim().toLowerCase());
      setOtp('');
      cooldown.sent();
    });
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const session = await confirmEmailChange(code);
      setChangedTo(session.me?.email ?? pending);
      setPending(undefined);
      setEmail('');
      setPassword('');
      setCode('');
    });
  };
  const startOver = () => {
    setPending(undefined);
    setCode('');
    setError(undefined);
  };

  return (
    <section className="card" aria-labelledby="change-email-title" data-testid="change-email">
      <h2 id="change-email-title">Change email</h2>
      {changedTo ? (
        <Notice kind="success" testId="email-changed">
          Your address is now <strong>{changedTo}</strong>, verified. We told your old address about the change.
        </Notice>
      ) : null}
      {pending ? (
        <>
          <p>
            We sent a 6-digit code to <strong data-testid="email-change-pending">{pending}</strong>; it is good for 15
            minutes. Your address stays as it is until you enter it.
          </p>
          <form onSubmit={confirm} className="inline-form">
            <label htmlFor="email-change-code">Code sent to the new address</label>
            <input
              id="email-change-code"
              name="email-change-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
            />
            <button type="submit" disabled={busy || code.length !== 6}>
              Confirm
            </button>
          </form>
          {needsOtp ? (
            <label>
              Code from your authenticator app (to send another code)
              <input name="email-change-resend-otp" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} value={otp} onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))} />
            </label>
          ) : null}
          <p>
            <button type="button" className="secondary" onClick={() => void ask()} disabled={busy || cooldown.left > 0 || (needsOtp && otp.length !== 6)}>
              {cooldown.left > 0 ? `Send another code in ${cooldown.left} s` : 'Send another code'}
            </button>{' '}
            <button type="button" className="link" onClick={startOver} disabled={busy}>
              Use another address
            </button>
          </p>
        </>
      ) : (
        <form
          className="form"
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            void ask();
          }}
        >
          <p className="muted">We send a code to the new address; your address changes once you enter it.</p>
          <label>
            New email address
            <input type="email" name="new-email" autoComplete="email" maxLength={254} required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Current password
            <input type="password" name="change-email-password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          {needsOtp ? (
            <label>
              Code from your authenticator app
              <input name="change-email-otp" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} required value={otp} onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))} />
            </label>
          ) : null}
          <button type="submit" disabled={busy}>
            Send a code to the new address
          </button>
        </form>
      )}
      {error ? <Notice kind="error">{describeChangeError(error)}</Notice> : null}
    </section>
  );
}

function describeChangeError(err: unknown): string {
  // Only the password is checked here (the address is the new one).
  if (err instanceof ApiError && err.code === 'invalid_credentials') return 'That password is wrong.';
  // At confirmation: another account registered the address since the code was sent.
  if (err instanceof ApiError && err.code === 'email_taken') {
    return 'Another account has taken that address since the code was sent, so nothing changed. Try another address.';
  }
  return describeError(err);
}
