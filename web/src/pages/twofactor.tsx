/** My account's "Two-factor" section: the authenticator (QR, then a code), recovery codes, turning it off; passkeys. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, Empty, Field, Form, formatDate, Loading, Notice, useAction, useLoad } from '../ui';

interface Status {
  totp: boolean;
  totp_enabled_at: string | null;
  totp_pending: boolean;
  recovery_codes_left: number;
  methods: string[];
}

interface Setup {
  secret: string;
  uri: string;
  qr: string;
}

export function TwoFactorCard({ username }: { username: string }) {
  const status = useLoad(() => call<Status>('2fa/status'));
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const start = useAction();
  const begin = () =>
    start.run(async () => {
      setMessage(null);
      setSetup(await call<Setup>('2fa/totp/setup'));
    });
  const s = status.data;
  return (
    <Card title="Two-factor">
      <p class="muted">
        With a second factor, signing in with your password also asks for a code from an authenticator app on your phone — in the console, the CLI and Bitwarden
        apps.
      </p>
      {status.error && <Notice kind="error">{status.error}</Notice>}
      {message && <Notice kind="ok">{message}</Notice>}
      {codes && <RecoveryCodes codes={codes} username={username} onDone={() => setCodes(null)} />}
      {!s ? (
        <Loading what="two-factor status" />
      ) : setup ? (
        <ConfirmSetup
          setup={setup}
          onCancel={() => setSetup(null)}
          onEnabled={async (c) => {
            setSetup(null);
            setCodes(c);
            setMessage('The authenticator is on: signing in now asks for a code.');
            await status.reload();
          }}
        />
      ) : s.totp ? (
        <Enabled
          status={s}
          onCodes={setCodes}
          onDisabled={async () => {
            setCodes(null);
            setMessage('The authenticator is off: signing in asks only for your password.');
            await status.reload();
          }}
        />
      ) : (
        <div class="stack">
          <p>
            <span class="badge">Off</span> No authenticator is set up.
          </p>
          {start.error && <Notice kind="error">{start.error}</Notice>}
          <div>
            <Button kind="primary" onClick={begin} busy={start.busy}>
              Set up an authenticator
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}

function ConfirmSetup({ setup, onCancel, onEnabled }: { setup: Setup; onCancel: () => void; onEnabled: (codes: string[]) => Promise<void> }) {
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const submit = () =>
    run(async () => {
      const r = await call<{ recovery_codes: string[] }>('2fa/totp/enable', { code: code.trim() });
      await onEnabled(r.recovery_codes);
    });
  return (
    <div class="stack">
      <p>1. Scan this QR code with an authenticator app (Aegis, FreeOTP, Google Authenticator, 1Password…).</p>
      <img class="qr" src={setup.qr} alt="QR code of the authenticator secret" width={240} height={240} />
      <p class="muted small">
        Cannot scan? Type this secret instead: <code class="secret">{setup.secret}</code>
      </p>
      <p>2. Type the 6-digit code the app shows, to turn it on.</p>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Confirm the authenticator" class="form form-inline">
        <Field label="Code from the app" value={code} onInput={setCode} autocomplete="one-time-code" required name="code" />
        <Button type="submit" kind="primary" busy={busy}>
          Turn on
        </Button>
        <Button kind="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </Form>
    </div>
  );
}

function Enabled({ status, onCodes, onDisabled }: { status: Status; onCodes: (codes: string[]) => void; onDisabled: () => Promise<void> }) {
  const [password, setPassword] = useState('');
  const [offPassword, setOffPassword] = useState('');
  const [offCode, setOffCode] = useState('');
  const regen = useAction();
  const off = useAction();
  const regenerate = () =>
    regen.run(async () => {
      const r = await call<{ recovery_codes: string[] }>('2fa/recovery/regenerate', { password });
      setPassword('');
      onCodes(r.recovery_codes);
    });
  const disable = () =>
    off.run(async () => {
      await call('2fa/totp/disable', { password: offPassword, code: offCode.trim() });
      setOffPassword('');
      setOffCode('');
      await onDisabled();
    });
  return (
    <div class="stack">
      <p>
        <span class="badge badge-on">On</span> Authenticator app since {formatDate(status.totp_enabled_at)} ·{' '}
        <span class="recovery-left">
          {status.recovery_codes_left} recovery code{status.recovery_codes_left === 1 ? '' : 's'} left
        </span>
      </p>
      <h3>Recovery codes</h3>
      <p class="muted small">Each signs in once in place of a code, if you lose your phone. New ones replace all the old ones.</p>
      {regen.error && <Notice kind="error">{regen.error}</Notice>}
      <Form onSubmit={regenerate} label="New recovery codes" class="form form-inline">
        <Field label="Password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required name="regen-password" />
        <Button type="submit" busy={regen.busy}>
          New recovery codes
        </Button>
      </Form>
      <h3>Turn off</h3>
      {off.error && <Notice kind="error">{off.error}</Notice>}
      <Form onSubmit={disable} label="Turn off the authenticator" class="form form-inline">
        <Field label="Password" type="password" value={offPassword} onInput={setOffPassword} autocomplete="current-password" required name="off-password" />
        <Field label="Code or recovery code" value={offCode} onInput={setOffCode} autocomplete="one-time-code" required name="off-code" />
        <Button type="submit" kind="danger" busy={off.busy}>
          Turn off
        </Button>
      </Form>
    </div>
  );
}

function RecoveryCodes({ codes, username, onDone }: { codes: string[]; username: string; onDone: () => void }) {
  const text = `Hearth recovery codes for ${username} (each works once)\n\n${codes.join('\n')}\n`;
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
  return (
    <div class="recovery" role="region" aria-label="Recovery codes">
      <Notice kind="warn">Save these recovery codes now: they are shown only this once. Each signs in once if you lose your phone.</Notice>
      <ul class="codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div class="row">
        <a class="btn btn-secondary" href={href} download={`hearth-recovery-codes-${username}.txt`}>
          Download as text
        </a>
        <Button kind="primary" onClick={onDone}>
          I have saved them
        </Button>
      </div>
    </div>
  );
}

interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** Passkeys: named, listed, removable; one signs in to the console as a second factor, or alone. */
export function PasskeysCard({ username }: { username: string }) {
  const list = useLoad(() => call<Passkey[]>('2fa/passkey/list'));
  const [name, setName] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const add = useAction();
  const action = useAction();
  const register = () =>
    add.run(async () => {
      setMessage(null);
      const { startRegistration } = await import('@simplewebauthn/browser');
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const optionsJSON = await call<any>('2fa/passkey/options');
      const response = await startRegistration({ optionsJSON });
      const r = await call<{ passkey: Passkey; recovery_codes: string[] }>('2fa/passkey/register', { name: name.trim(), response });
      setName('');
      if (r.recovery_codes.length) setCodes(r.recovery_codes);
      setMessage(`Passkey "${r.passkey.name}" added.`);
      await list.reload();
    });
  const remove = (p: Passkey) => {
    if (!confirm(`Remove the passkey "${p.name}"? It will no longer sign in.`)) return;
    void action.run(async () => {
      await call('2fa/passkey/remove', { id: p.id });
      setMessage(`Passkey "${p.name}" removed.`);
      await list.reload();
    });
  };
  return (
    <Card title="Passkeys">
      <p class="muted">
        A passkey (this device's screen lock, a security key, your phone) signs in to the console in place of a code — or alone, without the password.
      </p>
      {message && <Notice kind="ok">{message}</Notice>}
      {codes && <RecoveryCodes codes={codes} username={username} onDone={() => setCodes(null)} />}
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {action.error && <Notice kind="error">{action.error}</Notice>}
      {!list.data ? (
        <Loading what="passkeys" />
      ) : list.data.length ? (
        <ul class="list" aria-label="Passkeys">
          {list.data.map((p) => (
            <li key={p.id} class="list-item">
              <div>
                <strong>{p.name}</strong>
                <div class="muted small">
                  added {formatDate(p.created_at)} · last used {formatDate(p.last_used_at)}
                </div>
              </div>
              <Button kind="ghost" onClick={() => remove(p)} label={`Remove the passkey ${p.name}`}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      ) : (
        <Empty title="No passkeys">Add one to sign in with this device.</Empty>
      )}
      {add.error && <Notice kind="error">{add.error}</Notice>}
      <Form onSubmit={register} label="Add a passkey" class="form form-inline">
        <Field label="Passkey name" hint='What it is, e.g. "laptop" or "phone".' value={name} onInput={setName} required name="passkey-name" />
        <Button type="submit" kind="primary" busy={add.busy}>
          Add a passkey
        </Button>
      </Form>
    </Card>
  );
}
