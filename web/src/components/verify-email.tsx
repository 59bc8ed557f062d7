import { type FormEvent, useState } from 'react';
import { describeError } from '../api/messages.ts';
import { requestEmailCode, verifyEmail } from '../api/session.ts';
import { useResendCooldown } from '../use-resend-cooldown.ts';
import { Notice } from './notice.tsx';

/**
 * "Verify your email address": mails a 6-digit code and checks it. After success the session's
 * tokens carry `email_verified`, and `onVerified` lets the caller retry what needed it.
 */
export function VerifyEmail({ email, onVerified }: { email: string; onVerified: () => void }) {
  const [sent, setSent] = useState(false);
  const cooldown = useResendCooldown();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const send = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await requestEmailCode();
      setSent(true);
      cooldown.sent();
    } catch (err) {
      cooldown.refused(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await verifyEmail(code.trim());
      onVerified();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="verify-email-title" data-testid="verify-email">
      <h2 id="verify-email-title">Verify your email address</h2>
      <p>
        This election is open to voters with a verified address. We send a 6-digit code to <strong>{email}</strong>;
        it is good for 15 minutes.
      </p>
      {error ? <Notice kind="error">{describeError(error)}</Notice> : null}
      {sent ? <Notice kind="success">Code sent. Check your mailbox.</Notice> : null}
      <button type="button" onClick={send} disabled={busy || cooldown.left > 0} className={sent ? 'secondary' : undefined}>
        {cooldown.left > 0 ? `Send another code in ${cooldown.left} s` : sent ? 'Send another code' : 'Send me a code'}
      </button>
      {sent ? (
        <form onSubmit={submit} className="inline-form">
          <label htmlFor="email-code">Code</label>
          <input
            id="email-code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          />
          <button type="submit" disabled={busy || code.length !== 6}>
            Verify
          </button>
        </form>
      ) : null}
    </section>
  );
}
