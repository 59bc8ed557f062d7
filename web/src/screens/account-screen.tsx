import { type FormEvent, useState } from 'react';
import { describeError } from '../api/messages.ts';
import { addPasskey, describePasskeyError, listPasskeys, passkeysSupported, removePasskey } from '../api/passkeys.ts';
import { confirmTotp, deleteAccount, endAllSessions, endSession, listSessions, reloadMe, startTotp } from '../api/session.ts';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ChangeEmail } from '../components/change-email.tsx';
import { VerifyEmail } from '../components/verify-email.tsx';
import { Link, navigate } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { useSession } from '../use-session.ts';

const when = (iso: string) => new Date(iso).toLocaleString();

/** The signed-in voter's account: address (verifying, changing it), passkeys, authenticator app, sessions, deletion. */
export function AccountScreen() {
  const session = useSession();
  if (!session?.me) {
    return (
      <Page title="Your account">
        <Notice>
          <Link href="/login?next=%2Faccount">Sign in</Link> to see your account.
        </Notice>
      </Page>
    );
  }
  const { me } = session;
  return (
    <Page title="Your account">
      <section className="card" aria-labelledby="email-title">
        <h2 id="email-title">Email</h2>
        <p>
          {me.email}{' '}
          {me.emailVerified ? (
            <span className="badge" data-testid="email-verified">
              verified
            </span>
          ) : null}
        </p>
      </section>
      {me.emailVerified ? null : <VerifyEmail email={me.email} onVerified={() => undefined} />}
      <ChangeEmail current={me.email} needsOtp={me.mfa?.totp ?? false} />
      <Passkeys />
      <Authenticator enabled={me.mfa?.totp ?? false} />
      <Sessions />
      <DeleteAccount needsOtp={me.mfa?.totp ?? false} />
    </Page>
  );
}

/** The voter's passkeys: sign in with this device's screen lock or a security key, no password. */
function Passkeys() {
  const [state, reload] = useAsync(listPasskeys, []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      reload();
    } catch (err) {
      setError(describePasskeyError(err) ?? describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">Sign in with this device&apos;s screen lock or a security key instead of your password.</p>
      {state.status === 'loading' ? <Loading what="Loading your passkeys" /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.status === 'done' ? (
        state.value.length === 0 ? (
          <p data-testid="passkeys-none">No passkeys yet.</p>
        ) : (
          <ul className="plain" data-testid="passkeys">
            {state.value.map((p) => (
              <li key={p.id}>
                <strong>{p.name}</strong> · added {when(p.createdAt)}
                {p.lastUsedAt ? `, last used ${when(p.lastUsedAt)}` : ', not used yet'}
                {p.backedUp ? ' · synced' : ''}{' '}
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove ${p.name}`}
                  disabled={busy}
                  onClick={() => {
                    if (window.confirm(`Remove the passkey “${p.name}”? It will no longer sign you in.`)) void run(() => removePasskey(p.id));
                  }}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
      {passkeysSupported() ? (
        <form
          className="form"
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            void run(async () => {
              await addPasskey(name.trim() || undefined);
              setName('');
            });
          }}
        >
          <label>
            Passkey name
            <input name="passkey-name" maxLength={64} placeholder="My laptop" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Add a passkey
          </button>
        </form>
      ) : (
        <p className="muted">This browser cannot use passkeys.</p>
      )}
      {error ? <Notice kind="error">{error}</Notice> : null}
    </section>
  );
}

function Authenticator({ enabled }: { enabled: boolean }) {
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string }>();
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="totp-title" data-testid="totp">
      <h2 id="totp-title">Authenticator app</h2>
      {enabled ? (
        <Notice kind="success" testId="totp-on">
          On: signing in asks for the app's 6-digit code.
        </Notice>
      ) : setup ? (
        <form
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            void run(() => confirmTotp(code));
          }}
        >
          <p>Scan this with your authenticator app, or type the key into it, then enter the code it shows.</p>
          <QrCode url={setup.otpauthUri} size={200} />
          <p>
            Key: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <label>
            Code
            <input
              name="totp-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
            />
          </label>
          <button type="submit" disabled={busy || code.length !== 6}>
            Turn on
          </button>
        </form>
      ) : (
        <>
          <p>Protect your account with a second step at sign-in. Admin accounts need it in production.</p>
          <button type="button" disabled={busy} onClick={() => run(async () => setSetup(await startTotp()))}>
            Set up an authenticator app
          </button>
        </>
      )}
      {error ? <Notice kind="error">{describeError(error)}</Notice> : null}
    </section>
  );
}

function Sessions() {
  const [state, reload] = useAsync(listSessions, []);
  const [error, setError] = useState<unknown>();
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      {state.status === 'loading' ? <Loading what="Loading your sessions" /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.status === 'done' ? (
        <ul className="plain" data-testid="sessions">
          {state.value.map((s) => (
            <li key={s.id}>
              Signed in {when(s.createdAt)}, last active {when(s.lastUsedAt)}
              {s.amr.includes('hwk') ? ' (with a passkey)' : s.amr.includes('mfa') ? ' (with the app)' : ''}
              {s.current ? (
                <strong> · this browser</strong>
              ) : (
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    endSession(s.id)
                      .then(reload)
                      .catch(setError)
                  }
                >
                  Sign out there
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
      <button
        type="button"
        className="secondary"
        onClick={() =>
          endAllSessions()
            .then(() => navigate('/login'))
            .catch(setError)
        }
      >
        Sign out everywhere
      </button>
    </section>
  );
}

function DeleteAccount({ needsOtp }: { needsOtp: boolean }) {
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!window.confirm('Delete your account? Ballots you cast stay counted, but nothing links them to you any more.')) return;
    setBusy(true);
    setError(undefined);
    try {
      await deleteAccount(password, needsOtp ? otp : undefined);
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
      await reloadMe().catch(() => undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete your account</h2>
      <form onSubmit={submit} className="form">
        <p className="muted">
          Your email, password and sessions are removed. Ballots you cast stay counted, with nothing that links them to
          you.
        </p>
        <label>
          Password
          <input type="password" name="delete-password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {needsOtp ? (
          <label>
            Code from your authenticator app
            <input name="delete-otp" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} required value={otp} onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))} />
          </label>
        ) : null}
        {error ? <Notice kind="error">{describeError(error)}</Notice> : null}
        <button type="submit" className="danger" disabled={busy}>
          Delete my account
        </button>
      </form>
    </section>
  );
}
