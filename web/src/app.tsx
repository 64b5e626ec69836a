/** The console's shell: first-run, the shared login form, navigation and the pages. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, errorText, login, loginWithPasskey, logout, onLoginNeeded, type LoginRequest } from './api';
import { AccountPage } from './pages/account';
import { BackupsPage } from './pages/backups';
import { DashboardPage } from './pages/dashboard';
import { DevicesPage } from './pages/devices';
import { InvitesPage } from './pages/invites';
import { LogPage } from './pages/log';
import { KeysPage } from './pages/keys';
import { ProvidersPage } from './pages/providers';
import { JobsPage } from './pages/jobs';
import { ServerPage } from './pages/server';
import { SshPage } from './pages/ssh';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';
import { VaultPage } from './pages/vault';
import { NewAccountFields, PasswordFields, useNewAccount, usePasswordPair } from './account-fields';
import { Button, Field, Form, Loading, Notice, useAction } from './ui';

export interface Me {
  username: string;
  address: string;
  role: string;
  owner: boolean;
  full_name: string;
}

const PAGES = [
  { path: 'dashboard', title: 'Dashboard', owner: false },
  { path: 'account', title: 'My account', owner: false },
  { path: 'devices', title: 'Devices', owner: false },
  { path: 'vault', title: 'Vault', owner: false },
  { path: 'log', title: 'Sign-ins', owner: false },
  { path: 'keys', title: 'Keys', owner: false },
  { path: 'providers', title: 'Providers', owner: false },
  { path: 'tokens', title: 'API tokens', owner: true },
  { path: 'users', title: 'Users', owner: true },
  { path: 'invites', title: 'Invites', owner: true },
  { path: 'jobs', title: 'Jobs', owner: true },
  { path: 'backups', title: 'Backups', owner: true },
  { path: 'ssh', title: 'SSH keys', owner: false },
  { path: 'server', title: 'Server', owner: true },
] as const;
type PagePath = (typeof PAGES)[number]['path'];

/** A value carried in the link's fragment (`#setup=…`, `#invite=…`): never sent to the server, never in a log. */
function fromFragment(key: string): string {
  const m = new RegExp(`^#${key}=([^&]*)`).exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : '';
}

/** Drops a code from the address bar once it has served. */
const forgetFragment = () => history.replaceState(null, '', `${location.pathname}${location.search}#/dashboard`);

function currentPage(): PagePath {
  const p = location.hash.replace(/^#\/?/, '');
  return (PAGES.find((x) => x.path === p)?.path ?? 'dashboard') as PagePath;
}

export function App() {
  const [loginReq, setLoginReq] = useState<LoginRequest | null>(null);
  const [firstRun, setFirstRun] = useState<boolean | null>(null);
  const [bootError, setBootError] = useState<string | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [registration, setRegistration] = useState('closed');
  const [page, setPage] = useState<PagePath>(currentPage());

  useEffect(
    () =>
      onLoginNeeded((req) => {
        setLoginReq(req);
        // Signed in again, perhaps as someone else: who is this now?
        if (!req) void loadMe().catch(() => {});
      }),
    [],
  );
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const loadMe = async () => setMe(await call<Me>('bonafide/user/active'));

  const boot = async () => {
    setBootError(null);
    try {
      const stats = await call<{ accounts: number | null; registration?: string }>('core/stats', {}, { login: false });
      setRegistration(stats.registration ?? 'closed');
      if (stats.accounts === 0) return setFirstRun(true);
      setFirstRun(false);
      await loadMe();
    } catch (err) {
      setBootError(errorText(err));
    }
  };
  useEffect(() => {
    void boot();
  }, []);

  useEffect(() => {
    const title = PAGES.find((p) => p.path === page)?.title;
    document.title = loginReq ? 'Sign in · Hearth' : firstRun ? 'Welcome · Hearth' : `${title} · Hearth`;
  }, [page, loginReq, firstRun]);

  if (bootError) {
    return (
      <Centered title="Hearth is not answering">
        <Notice kind="error">{bootError}</Notice>
        <Button kind="primary" onClick={boot}>
          Try again
        </Button>
      </Centered>
    );
  }
  if (firstRun === null)
    return (
      <Centered title="Hearth">
        <Loading what="the console" />
      </Centered>
    );
  if (firstRun) {
    return (
      <FirstRun
        onDone={async () => {
          setFirstRun(false);
          await loadMe();
        }}
      />
    );
  }

  const signOut = async () => {
    await logout();
    setMe(null);
    await loadMe(); // asks for a login, then loads again
  };

  const visible = PAGES.filter((p) => !p.owner || me?.role === 'maintainer');
  return (
    <>
      {loginReq && <LoginForm req={loginReq} registration={registration} />}
      <div class="shell" hidden={!!loginReq} aria-hidden={loginReq ? 'true' : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="#/dashboard">
            <img src="/favicon.svg" alt="" width="24" height="24" /> Hearth
          </a>
          <nav aria-label="Main">
            <ul class="nav">
              {visible.map((p) => (
                <li key={p.path}>
                  <a href={`#/${p.path}`} aria-current={page === p.path ? 'page' : undefined}>
                    {p.title}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            {me && (
              <span class="who-name" title={me.address}>
                {me.full_name || me.username}
              </span>
            )}
            <Button kind="ghost" onClick={signOut}>
              Sign out
            </Button>
          </div>
        </header>
        <main id="main" tabIndex={-1} key={me?.username ?? ''}>
          {!me ? (
            <Loading what="your account" />
          ) : page === 'dashboard' ? (
            <DashboardPage />
          ) : page === 'account' ? (
            <AccountPage me={me} onChange={loadMe} />
          ) : page === 'devices' ? (
            <DevicesPage />
          ) : page === 'vault' ? (
            <VaultPage me={me} />
          ) : page === 'log' ? (
            <LogPage me={me} />
          ) : page === 'invites' && me.role === 'maintainer' ? (
            <InvitesPage registration={registration} />
          ) : page === 'keys' ? (
            <KeysPage />
          ) : page === 'providers' ? (
            <ProvidersPage maintainer={me.role === 'maintainer'} />
          ) : page === 'tokens' && me.role === 'maintainer' ? (
            <TokensPage />
          ) : page === 'users' && me.role === 'maintainer' ? (
            <UsersPage me={me} />
          ) : page === 'jobs' && me.role === 'maintainer' ? (
            <JobsPage />
          ) : page === 'backups' && me.role === 'maintainer' ? (
            <BackupsPage />
          ) : page === 'ssh' ? (
            <SshPage me={me} />
          ) : page === 'server' && me.role === 'maintainer' ? (
            <ServerPage />
          ) : (
            <Notice kind="info">This page is for the server's maintainers.</Notice>
          )}
        </main>
      </div>
    </>
  );
}

function Centered(props: { title: string; children: preact.ComponentChildren; wide?: boolean }) {
  return (
    <div class="centered">
      <div class={`panel${props.wide ? ' panel-wide' : ''}`}>
        <div class="panel-brand">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <h1>{props.title}</h1>
        </div>
        {props.children}
      </div>
    </div>
  );
}

type LoginMode = 'signin' | 'recover' | 'signup';

function LoginForm({ req, registration }: { req: LoginRequest; registration: string }) {
  const invite = fromFragment('invite');
  const canSignUp = registration === 'open' || registration === 'invite';
  const [mode, setMode] = useState<LoginMode>(invite && canSignUp ? 'signup' : 'signin');
  const done = () => {
    if (location.hash.startsWith('#invite=')) forgetFragment();
    req.done();
  };
  if (mode === 'recover') return <RecoverForm onDone={done} onBack={() => setMode('signin')} />;
  if (mode === 'signup') return <SignUpForm registration={registration} invite={invite} onDone={done} onBack={() => setMode('signin')} />;
  return <SignInForm req={req} onRecover={() => setMode('recover')} onSignUp={canSignUp ? () => setMode('signup') : null} />;
}

function SignInForm({ req, onRecover, onSignUp }: { req: LoginRequest; onRecover: () => void; onSignUp: (() => void) | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Set once the password was right and the account asks for its second factor.
  const [methods, setMethods] = useState<string[] | null>(null);
  // The passkey challenge the question came with (the account has a passkey).
  const [challenge, setChallenge] = useState<unknown>(null);
  const [otp, setOtp] = useState('');
  const { busy, error, run, setError } = useAction();
  const finish = () => {
    setPassword('');
    setOtp('');
    setMethods(null);
    req.done();
  };
  const submit = () =>
    run(async () => {
      try {
        await login(username, password, methods ? { otp } : {});
      } catch (err) {
        if (err instanceof ApiError && err.code === 'user:needSecondFactor') {
          setMethods((err.details.methods as string[] | undefined) ?? ['totp']);
          setChallenge(err.details.passkey ?? null);
          return;
        }
        throw err;
      }
      finish();
    });
  const withPasskey = () =>
    run(async () => {
      const { startAuthentication } = await import('@simplewebauthn/browser');
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const passkey = await startAuthentication({ optionsJSON: challenge as any });
      await login(username, password, { passkey });
      finish();
    });
  const passkeyAlone = () =>
    run(async () => {
      await loginWithPasskey();
      finish();
    });
  const back = () => {
    setMethods(null);
    setOtp('');
    setError(null);
  };
  if (methods) {
    return (
      <Centered title="Two-factor sign-in">
        {error && <Notice kind="error">{error}</Notice>}
        <p class="lead">Your account has a second factor.</p>
        {challenge !== null && (
          <div class="row">
            <Button kind="primary" onClick={withPasskey} busy={busy}>
              Use a passkey
            </Button>
          </div>
        )}
        {methods.some((m) => m !== 'passkey') && (
          <Form onSubmit={submit} label="Second factor">
            <Field
              label="Code"
              hint={
                methods.includes('totp')
                  ? `The 6-digit code from your authenticator app${methods.includes('recovery') ? ', or one of your recovery codes' : ''}.`
                  : 'One of your recovery codes.'
              }
              value={otp}
              onInput={setOtp}
              autocomplete="one-time-code"
              required
              autofocus
              name="otp"
            />
            <Button type="submit" kind="primary" busy={busy}>
              Verify
            </Button>
            <Button kind="ghost" onClick={back}>
              Back
            </Button>
          </Form>
        )}
      </Centered>
    );
  }
  return (
    <Centered title="Sign in to Hearth">
      {req.message && !error && <Notice kind="warn">{req.message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Sign in">
        <Field label="Username" value={username} onInput={setUsername} autocomplete="username" required autofocus name="username" />
        <Field label="Password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required name="password" />
        <Button type="submit" kind="primary" busy={busy}>
          Sign in
        </Button>
      </Form>
      <div class="panel-links">
        <Button kind="ghost" onClick={passkeyAlone} busy={busy}>
          Use a passkey
        </Button>
        <button type="button" class="link" onClick={onRecover}>
          Forgot password? Use a recovery phrase
        </button>
        {onSignUp && (
          <button type="button" class="link" onClick={onSignUp}>
            No account yet? Sign up
          </button>
        )}
      </div>
    </Centered>
  );
}

/** A forgotten password: the account's recovery phrase sets a new one, then signs in with it. */
function RecoverForm({ onDone, onBack }: { onDone: () => void; onBack: () => void }) {
  const [phrase, setPhrase] = useState('');
  const pair = usePasswordPair();
  // The account has a second factor: the recovery needs a code too.
  const [needCode, setNeedCode] = useState(false);
  const [otp, setOtp] = useState('');
  const [recovered, setRecovered] = useState(false);
  const { busy, error, run, setError } = useAction();
  const submit = () => {
    if (pair.differ) return setError('The two passwords differ.');
    void run(async () => {
      let r: { authorization: string; account: { username: string } };
      try {
        r = await call('bonafide/user/recover', { token: phrase, newpass: pair.password, ...(needCode ? { otp: otp.trim() } : {}) }, { login: false });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'user:needSecondFactor') return setNeedCode(true);
        throw err;
      }
      // The console signs in with its own session: the one the recovery answered is not needed.
      const endRecoverySession = () =>
        fetch('/API/bonafide/user/logout', {
          method: 'POST',
          headers: { authorization: r.authorization, 'content-type': 'application/json' },
          body: '{}',
        }).catch(() => {});
      if (needCode) {
        // The code just used is spent: the console's own sign-in takes the next one.
        await endRecoverySession();
        setRecovered(true);
        return;
      }
      await login(r.account.username, pair.password);
      await endRecoverySession();
      onDone();
    });
  };
  if (recovered) {
    return (
      <Centered title="Recover your account" wide>
        <Notice kind="ok">Your new password is set. Sign in with it and your next code.</Notice>
        <div class="panel-links">
          <button type="button" class="link" onClick={onBack}>
            Back to sign in
          </button>
        </div>
      </Centered>
    );
  }
  return (
    <Centered title="Recover your account" wide>
      <p class="lead">
        Enter the recovery phrase made for your account (18 words) and a new password. Every other session and device of your account is signed out.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Account recovery">
        <Field
          label="Recovery phrase"
          hint="The 18 words, separated by spaces."
          value={phrase}
          onInput={setPhrase}
          autocomplete="off"
          required
          autofocus
          name="phrase"
        />
        <PasswordFields pair={pair} label="New password" name="newpass" />
        {needCode && (
          <Field
            label="Code"
            hint="Your account has a second factor: the 6-digit code from your authenticator app, or one of your recovery codes."
            value={otp}
            onInput={setOtp}
            autocomplete="one-time-code"
            required
            autofocus
            name="otp"
          />
        )}
        <Button type="submit" kind="primary" busy={busy}>
          Set password and sign in
        </Button>
      </Form>
      <div class="panel-links">
        <button type="button" class="link" onClick={onBack}>
          Back to sign in
        </button>
      </div>
    </Centered>
  );
}

/** Sign-up, where `[accounts] registration` allows it: with an invite code (from the link, or typed), or open. */
function SignUpForm({ registration, invite, onDone, onBack }: { registration: string; invite: string; onDone: () => void; onBack: () => void }) {
  const [code, setCode] = useState(invite);
  const account = useNewAccount();
  const { busy, error, run, setError } = useAction();
  const byInvite = registration === 'invite';
  const submit = () => {
    if (account.pair.differ) return setError('The two passwords differ.');
    void run(async () => {
      await call('bonafide/user/create', { ...account.body(), ...(byInvite ? { invitecode: code.trim() } : {}) }, { login: false });
      await login(account.username, account.pair.password);
      onDone();
    });
  };
  return (
    <Centered title="Create your account" wide>
      <p class="lead">{byInvite ? 'With the invite you were sent, create your own account on this server.' : 'Create your own account on this server.'}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Sign up">
        {byInvite && (
          <Field
            label="Invite code"
            hint={invite ? 'Filled in from your invite link.' : 'From the invite you were sent.'}
            value={code}
            onInput={setCode}
            autocomplete="off"
            required
            name="invitecode"
          />
        )}
        <NewAccountFields account={account} />
        <Button type="submit" kind="primary" busy={busy}>
          Create account
        </Button>
      </Form>
      <div class="panel-links">
        <button type="button" class="link" onClick={onBack}>
          I have an account: sign in
        </button>
      </div>
    </Centered>
  );
}

function FirstRun({ onDone }: { onDone: () => void }) {
  // The link hearthd printed carries the setup code; without it, the form asks for it.
  const fromLink = fromFragment('setup');
  const [code, setCode] = useState(fromLink);
  const account = useNewAccount();
  const { busy, error, run, setError } = useAction();
  const submit = () => {
    if (account.pair.differ) return setError('The two passwords differ.');
    void run(async () => {
      // Clears a session cookie this browser may hold from an earlier setup of this address.
      await call('web/loginprep', {}, { login: false });
      await call('bonafide/user/create', { ...account.body(), setup_code: code.trim() }, { login: false });
      await login(account.username, account.pair.password);
      if (fromLink) forgetFragment();
      onDone();
    });
  };
  return (
    <Centered title="Welcome to Hearth" wide>
      <p class="lead">No account exists yet. Create the owner's account: it manages this server, its users and their devices.</p>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Create the owner's account">
        {/* A link with a stale code: the field shows, to correct it. */}
        {(!fromLink || error) && (
          <Field
            label="Setup code"
            hint="hearthd printed a link with it when it started; it is also in the file setup-code in Hearth's home."
            value={code}
            onInput={setCode}
            autocomplete="off"
            required
            name="setup_code"
          />
        )}
        <NewAccountFields account={account} fullNameHint="Optional. Shown in the console." />
        <Button type="submit" kind="primary" busy={busy}>
          Create the owner's account
        </Button>
      </Form>
    </Centered>
  );
}
