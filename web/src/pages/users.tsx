/** Users (maintainers): list, create, reset a password, delete. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { NewAccountFields, useNewAccount } from '../account-fields';
import type { Me } from '../app';
import { Button, Card, Empty, Field, Form, formatDate, Loading, Notice, RefreshButton, Select, useAction, useLoad } from '../ui';

interface User {
  username: string;
  address: string;
  role: string;
  owner: boolean;
  full_name: string;
  created_at: string;
  /** An authenticator is on (from 2fa/list). */
  totp?: boolean;
}

const ROLES = ['consumer', 'creator', 'auditor', 'maintainer'];

export function UsersPage({ me }: { me: Me }) {
  const list = useLoad(async () => {
    // Who has a second factor, beside each account (the maintainer can reset one).
    const [users, factors] = await Promise.all([call<User[]>('bonafide/user/list'), call<{ username: string; totp: boolean }[]>('2fa/list')]);
    const on = new Set(factors.filter((f) => f.totp).map((f) => f.username));
    return users.map((u) => ({ ...u, totp: on.has(u.username) }));
  });
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Users</h1>
      </div>
      {message && <Notice kind="ok">{message}</Notice>}
      <CreateUser
        onCreated={async (name) => {
          setMessage(`Created ${name}.`);
          await list.reload();
        }}
      />
      <Card title="Accounts" actions={<RefreshButton load={list} />}>
        {list.error && <Notice kind="error">{list.error}</Notice>}
        {!list.data ? (
          <Loading what="accounts" />
        ) : list.data.length ? (
          <ul class="list" aria-label="Accounts">
            {list.data.map((u) => (
              <UserRow key={u.username} user={u} me={me} onChange={list.reload} onMessage={setMessage} />
            ))}
          </ul>
        ) : (
          <Empty title="No accounts" />
        )}
      </Card>
    </div>
  );
}

function UserRow({ user, me, onChange, onMessage }: { user: User; me: Me; onChange: () => Promise<void>; onMessage: (m: string) => void }) {
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [resetting2fa, setResetting2fa] = useState(false);
  const [mine, setMine] = useState('');
  const action = useAction();
  const reset2fa = () =>
    action.run(async () => {
      await call('2fa/totp/disable', { username: user.username, password: mine });
      setResetting2fa(false);
      setMine('');
      onMessage(`Two-factor turned off for ${user.username}: they sign in with the password alone, and can set up a new authenticator.`);
      await onChange();
    });
  const remove = () => {
    if (!confirm(`Delete ${user.username} and every device and session it holds? This cannot be undone.`)) return;
    void action.run(async () => {
      await call('bonafide/user/delete', { username: user.username });
      onMessage(`Deleted ${user.username}.`);
      await onChange();
    });
  };
  const reset = () =>
    action.run(async () => {
      await call('bonafide/user/reset', { username: user.username, newpass: password });
      setResetting(false);
      setPassword('');
      onMessage(`New password set for ${user.username}; its sessions and devices were signed out.`);
    });
  const self = user.username === me.username;
  return (
    <li class="list-item list-item-wrap">
      <div>
        <strong>{user.full_name || user.username}</strong> {user.full_name && <span class="muted">({user.username})</span>}{' '}
        <span class="badge badge-off">{user.role}</span> {user.owner && <span class="badge badge-on">owner</span>}{' '}
        {user.totp && <span class="badge badge-on">two-factor</span>}
        <div class="muted small">
          {user.address} · since {formatDate(user.created_at)}
        </div>
      </div>
      <div class="row">
        {self ? (
          <a href="#/account" class="btn btn-ghost">
            Change my password
          </a>
        ) : (
          <>
            <Button kind="ghost" onClick={() => setResetting(!resetting)} label={`Reset the password of ${user.username}`}>
              Reset password
            </Button>
            {user.totp && (
              <Button kind="ghost" onClick={() => setResetting2fa(!resetting2fa)} label={`Reset the two-factor of ${user.username}`}>
                Reset two-factor
              </Button>
            )}
            <Button kind="danger" onClick={remove} busy={action.busy} label={`Delete ${user.username}`}>
              Delete
            </Button>
          </>
        )}
      </div>
      {action.error && <Notice kind="error">{action.error}</Notice>}
      {resetting2fa && (
        <Form onSubmit={reset2fa} label={`Reset the two-factor of ${user.username}`} class="form form-inline full">
          <Field
            label="Your password"
            hint={`Turns off ${user.username}'s authenticator (a lost phone, say); the reset is written to the login log.`}
            type="password"
            value={mine}
            onInput={setMine}
            autocomplete="current-password"
            required
          />
          <Button type="submit" kind="danger" busy={action.busy}>
            Turn off their two-factor
          </Button>
        </Form>
      )}
      {resetting && (
        <Form onSubmit={reset} label={`New password for ${user.username}`} class="form form-inline full">
          <Field
            label={`New password for ${user.username}`}
            hint="At least 8 characters. Signs out its sessions and devices."
            type="password"
            value={password}
            onInput={setPassword}
            autocomplete="new-password"
            required
            minLength={8}
          />
          <Button type="submit" kind="primary" busy={action.busy}>
            Set password
          </Button>
        </Form>
      )}
    </li>
  );
}

function CreateUser({ onCreated }: { onCreated: (name: string) => Promise<void> }) {
  const account = useNewAccount();
  const [role, setRole] = useState('creator');
  const action = useAction();
  const submit = () =>
    action.run(async () => {
      const u = await call<User>('bonafide/user/create', { ...account.body(), role });
      account.clear();
      await onCreated(u.username);
    });
  return (
    <Card title="Create an account">
      {action.error && <Notice kind="error">{action.error}</Notice>}
      <Form onSubmit={submit} label="Create an account" class="form form-grid">
        <NewAccountFields account={account} forSomeoneElse />
        <Select label="Role" value={role} onChange={setRole} options={ROLES.map((r) => ({ value: r, label: r }))} />
        <div class="form-submit">
          <Button type="submit" kind="primary" busy={action.busy}>
            Create account
          </Button>
        </div>
      </Form>
    </Card>
  );
}
