/** The console's shell: first-run, the shared login form, navigation and the pages. */
import { useEffect, useState } from 'preact/hooks';
import { call, errorText, login, logout, onLoginNeeded, type LoginRequest } from './api';
import { AccountPage } from './pages/account';
import { DashboardPage } from './pages/dashboard';
import { DevicesPage } from './pages/devices';
import { ServerPage } from './pages/server';
import { SshPage } from './pages/ssh';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';
import { VaultPage } from './pages/vault';
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
  { path: 'tokens', title: 'API tokens', owner: true },
  { path: 'users', title: 'Users', owner: true },
  { path: 'ssh', title: 'SSH keys', owner: false },
  { path: 'server', title: 'Server', owner: true },
] as const;
type PagePath = (typeof PAGES)[number]['path'];

function currentPage(): PagePath {
  const p = location.hash.replace(/^#\/?/, '');
  return (PAGES.find((x) => x.path === p)?.path ?? 'dashboard') as PagePath;
}

export function App() {
  const [loginReq, setLoginReq] = useState<LoginRequest | null>(null);
  const [firstRun, setFirstRun] = useState<boolean | null>(null);
  const [bootError, setBootError] = useState<string | null>(null);
  const [me, setMe] = useState<Me | null>(null);
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
      const stats = await call<{ accounts: number | null }>('core/stats', {}, { login: false });
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
      {loginReq && <LoginForm req={loginReq} />}
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
          ) : page === 'tokens' && me.role === 'maintainer' ? (
            <TokensPage />
          ) : page === 'users' && me.role === 'maintainer' ? (
            <UsersPage me={me} />
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

function LoginForm({ req }: { req: LoginRequest }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const submit = () =>
    run(async () => {
      await login(username, password);
      setPassword('');
      req.done();
    });
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
    </Centered>
  );
}

function FirstRun({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const { busy, error, run, setError } = useAction();
  const submit = () => {
    if (password !== again) return setError('The two passwords differ.');
    void run(async () => {
      // Clears a session cookie this browser may hold from an earlier setup of this address.
      await call('web/loginprep', {}, { login: false });
      await call('bonafide/user/create', { username, pass: password, ...(fullName ? { full_name: fullName } : {}) }, { login: false });
      await login(username, password);
      onDone();
    });
  };
  return (
    <Centered title="Welcome to Hearth" wide>
      <p class="lead">No account exists yet. Create the owner's account: it manages this server, its users and their devices.</p>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Create the owner's account">
        <Field
          label="Username"
          hint="2–31 characters: a–z, 0–9 and _, not starting with a digit."
          value={username}
          onInput={setUsername}
          autocomplete="username"
          required
          autofocus
          name="username"
        />
        <Field label="Full name" hint="Optional. Shown in the console." value={fullName} onInput={setFullName} autocomplete="name" name="full_name" />
        <Field
          label="Password"
          hint="At least 8 characters."
          type="password"
          value={password}
          onInput={setPassword}
          autocomplete="new-password"
          required
          minLength={8}
          name="password"
        />
        <Field label="Password, again" type="password" value={again} onInput={setAgain} autocomplete="new-password" required minLength={8} name="password2" />
        <Button type="submit" kind="primary" busy={busy}>
          Create the owner's account
        </Button>
      </Form>
    </Centered>
  );
}
