import { AdminHome } from './admin/admin-home.tsx';
import { ElectionAdmin } from './admin/election-admin.tsx';
import { EditElection, NewElection } from './admin/election-editor.tsx';
import { logout } from './api/session.ts';
import { Notice } from './components/notice.tsx';
import { Page } from './components/page.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import { AccountScreen } from './screens/account-screen.tsx';
import { AuditScreen } from './screens/audit-screen.tsx';
import { AuthScreen } from './screens/auth-screen.tsx';
import { BallotScreen } from './screens/ballot-screen.tsx';
import { ElectionsScreen } from './screens/elections-screen.tsx';
import { MyVoteScreen } from './screens/my-vote-screen.tsx';
import { ReceiptScreen } from './screens/receipt-screen.tsx';
import { ResetPasswordScreen } from './screens/reset-password-screen.tsx';
import { ResultsScreen } from './screens/results-screen.tsx';
import { isAdmin, useSession } from './use-session.ts';

export function App() {
  const { path, query } = useLocation();
  const presenter = match('/elections/:id/results', path) !== null && query.has('present');
  if (!window.isSecureContext) {
    return (
      <main className="main">
        <Notice kind="error">
          OneVote needs a secure connection (HTTPS or localhost) to sign your votes. Open it over HTTPS.
        </Notice>
      </main>
    );
  }
  // One tree shape for both modes, so entering presenter mode keeps the live stream connected.
  return (
    <>
      {presenter ? null : (
        <a className="skip-link" href="#main">
          Skip to content
        </a>
      )}
      {presenter ? null : <Header path={path} />}
      <main id="main" className={presenter ? undefined : 'main'}>
        {route(path, query)}
      </main>
    </>
  );
}

function Header({ path }: { path: string }) {
  const session = useSession();
  const here = (prefix: string) =>
    path === prefix || (prefix !== '/' && path.startsWith(prefix)) ? 'page' : undefined;
  return (
    <header className="site-header">
      <Link href="/" className="brand">
        OneVote
      </Link>
      <nav aria-label="Main">
        <Link href="/" aria-current={here('/')}>
          Elections
        </Link>
        {isAdmin(session) ? (
          <Link href="/admin" aria-current={here('/admin')}>
            Admin
          </Link>
        ) : null}
        {session ? (
          <>
            <Link href="/account" className="who" aria-current={here('/account')}>
              {session.me?.email}
            </Link>
            <button
              type="button"
              className="link"
              onClick={async () => {
                await logout();
                navigate('/');
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          <Link
            href={path === '/login' || path === '/register' ? '/login' : `/login?next=${encodeURIComponent(path)}`}
            aria-current={here('/login')}
          >
            Sign in
          </Link>
        )}
      </nav>
    </header>
  );
}

function route(path: string, query: URLSearchParams) {
  const next = query.get('next') ?? '/';
  if (path === '/' || path === '') return <ElectionsScreen />;
  if (path === '/login') return <AuthScreen key="login" mode="login" next={next} />;
  if (path === '/register') return <AuthScreen key="register" mode="register" next={next} />;
  if (path === '/reset-password') return <ResetPasswordScreen />;
  if (path === '/account') return <AccountScreen />;
  let p = match('/elections/:id', path);
  if (p) return <BallotScreen electionId={p.id!} />;
  p = match('/elections/:id/receipt', path);
  if (p) return <ReceiptScreen electionId={p.id!} receiptId={query.get('r') ?? ''} />;
  p = match('/elections/:id/audit', path);
  if (p) return <AuditScreen key={p.id} electionId={p.id!} receiptId={query.get('r') ?? ''} />;
  p = match('/elections/:id/mine', path);
  if (p) return <MyVoteScreen electionId={p.id!} />;
  p = match('/elections/:id/results', path);
  if (p) return <ResultsScreen key={p.id} electionId={p.id!} presenter={query.has('present')} />;
  if (path.startsWith('/admin')) return <AdminRoute path={path} />;
  return (
    <Page title="Page not found">
      <p>
        <Link href="/">Go to the open elections</Link>
      </p>
    </Page>
  );
}

function AdminRoute({ path }: { path: string }) {
  const session = useSession();
  if (!session) {
    return (
      <Page title="Admin console">
        <Notice>
          <Link href={`/login?next=${encodeURIComponent(path)}`}>Sign in</Link> with an admin account.
        </Notice>
      </Page>
    );
  }
  if (!isAdmin(session)) {
    return (
      <Page title="Admin console">
        <Notice kind="error">This account is not an admin.</Notice>
      </Page>
    );
  }
  if (path === '/admin' || path === '/admin/') return <AdminHome />;
  if (path === '/admin/elections/new') return <NewElection />;
  let p = match('/admin/elections/:id/edit', path);
  if (p) return <EditElection electionId={p.id!} />;
  p = match('/admin/elections/:id', path);
  if (p) return <ElectionAdmin key={p.id} electionId={p.id!} />;
  return (
    <Page title="Page not found">
      <Link href="/admin">Back to the console</Link>
    </Page>
  );
}
