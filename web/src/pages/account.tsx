/** My account: full name, password change, and my login sessions. */
import { useState } from 'preact/hooks';
import { describeAgent } from '../agent';
import { call } from '../api';
import { PasswordFields, usePasswordPair } from '../account-fields';
import type { Me } from '../app';
import { PasskeysCard, TwoFactorCard } from './twofactor';
import { Button, Card, Empty, Field, Form, formatDate, Loading, Notice, useAction, useLoad } from '../ui';

interface Session {
  id: string;
  kind: 'console' | 'token';
  created_at: string;
  last_used: string | null;
  expires_at: string;
  max_expires_at: string;
  address: string | null;
  user_agent: string | null;
  is_caller: boolean;
}

export function AccountPage({ me, onChange }: { me: Me; onChange: () => Promise<void> }) {
  // One list of sessions for the page: a password change ends the others, and the list shows it.
  const sessions = useLoad(() => call<Session[]>('web/sessions'));
  return (
    <div class="page">
      <div class="page-head">
        <h1>My account</h1>
      </div>
      <Card title="Profile">
        <dl class="facts">
          <dt>Username</dt>
          <dd>{me.username}</dd>
          <dt>Address</dt>
          <dd>{me.address}</dd>
          <dt>Role</dt>
          <dd>
            {me.role}
            {me.owner ? ' · owner' : ''}
          </dd>
        </dl>
        <FullName me={me} onChange={onChange} />
      </Card>
      <PasswordCard onChanged={sessions.reload} />
      <TwoFactorCard username={me.username} />
      <PasskeysCard username={me.username} />
      <SessionsCard sessions={sessions} />
    </div>
  );
}

function FullName({ me, onChange }: { me: Me; onChange: () => Promise<void> }) {
  const [name, setName] = useState(me.full_name);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const submit = () =>
    run(async () => {
      await call('bonafide/user/fullname', { full_name: name });
      await onChange();
      setSaved(true);
    });
  return (
    <Form onSubmit={submit} label="Full name" class="form form-inline">
      <Field
        label="Full name"
        hint="Shown in the console, here and to the server's maintainers."
        value={name}
        onInput={(v) => (setName(v), setSaved(false))}
        autocomplete="name"
        name="full_name"
      />
      <Button type="submit" busy={busy}>
        Save name
      </Button>
      {error && <Notice kind="error">{error}</Notice>}
      {saved && !error && <Notice kind="ok">Saved.</Notice>}
    </Form>
  );
}

function PasswordCard({ onChanged }: { onChanged: () => Promise<void> }) {
  const [oldPassword, setOld] = useState('');
  const pair = usePasswordPair();
  const [done, setDone] = useState(false);
  const { busy, error, run, setError } = useAction();
  const submit = () => {
    setDone(false);
    if (pair.differ) return setError('The two new passwords differ.');
    void run(async () => {
      await call('web/setpassword', { oldPassword, newPassword: pair.password });
      setOld('');
      pair.clear();
      // The other sessions ended: the list below says so before the message does.
      await onChanged();
      setDone(true);
    });
  };
  return (
    <Card title="Password">
      <p class="muted">Changing it signs out every other session and device of your account; this one stays signed in.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {done && <Notice kind="ok">Password changed. Every other session and device of your account was signed out.</Notice>}
      <Form onSubmit={submit} label="Change password">
        <Field label="Current password" type="password" value={oldPassword} onInput={setOld} autocomplete="current-password" required name="oldPassword" />
        <PasswordFields pair={pair} label="New password" name="newPassword" />
        <Button type="submit" kind="primary" busy={busy}>
          Change password
        </Button>
      </Form>
    </Card>
  );
}

function SessionsCard({ sessions }: { sessions: ReturnType<typeof useLoad<Session[]>> }) {
  const { data, error, loading, reload } = sessions;
  const action = useAction();
  const [message, setMessage] = useState<string | null>(null);
  const others = (data ?? []).filter((s) => !s.is_caller).length;
  const endOthers = () =>
    action.run(async () => {
      const { ended } = await call<{ ended: number }>('web/logoutothers');
      // The list is reloaded first, so the message never stands beside the old list.
      await reload();
      setMessage(ended === 1 ? 'Signed out 1 other session.' : `Signed out ${ended} other sessions.`);
    });
  const end = (id: string) =>
    action.run(async () => {
      await call('web/endsession', { id });
      await reload();
      setMessage('Session ended.');
    });
  return (
    <Card
      title="My sessions"
      actions={
        <Button kind="danger" onClick={endOthers} busy={action.busy} disabled={others === 0}>
          Sign out everywhere else
        </Button>
      }
    >
      <p class="muted">
        Where your account is signed in: browsers (console) and scripts (login tokens). A session ends after a day without use, and after 30 days in any case.
      </p>
      {action.error && <Notice kind="error">{action.error}</Notice>}
      {message && <Notice kind="ok">{message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {!data && loading ? (
        <Loading what="sessions" />
      ) : data && data.length ? (
        <ul class="list">
          {data.map((s) => (
            <li key={s.id} class="list-item">
              <div>
                <strong>{describeAgent(s.user_agent) ?? (s.kind === 'console' ? 'A browser' : 'A script')}</strong>{' '}
                <span class="muted small">{s.kind === 'console' ? '(console)' : '(login token)'}</span>
                {s.is_caller && <span class="badge badge-on">this session</span>}
                <div class="muted small">
                  {s.address ? `From ${s.address} · ` : ''}signed in {formatDate(s.created_at)} · last used {formatDate(s.last_used)} · ends{' '}
                  {formatDate(s.expires_at)}
                </div>
              </div>
              {!s.is_caller && (
                <Button kind="ghost" onClick={() => end(s.id)} label={`End the session signed in ${formatDate(s.created_at)}`}>
                  End
                </Button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <Empty title="No sessions">Sessions appear here when you sign in.</Empty>
      )}
    </Card>
  );
}
