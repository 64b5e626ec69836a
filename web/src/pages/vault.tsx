/**
 * The vault (Bitwarden): create the signed-in account's vault — keys derived and encrypted here in
 * the browser, the master password never sent — and where Bitwarden apps find the server; for
 * maintainers, every vault (counts, never contents) with "delete vault".
 */
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { Me } from '../app';
import { Button, Card, CopyButton, Empty, Field, Form, formatDate, Loading, Notice, RefreshButton, StackTable, useAction, useLoad } from '../ui';
import { TrustServer } from './trust';
import { DEFAULT_ITERATIONS, makeRegistration, MAX_ITERATIONS, MIN_ITERATIONS, MIN_MASTER_PASSWORD, registerFinishBody } from '../vaultcrypto';

interface Server {
  url: string;
  ca_cert_fingerprint: string;
  local_ca: boolean;
}

interface Status {
  registered: boolean;
  email: string;
  kdf: { kdfType: number; iterations: number; memory: number | null; parallelism: number | null } | null;
  items: number;
  last_sync: string | null;
  server: Server | null;
}

interface VaultRow {
  username: string;
  email: string;
  kdf: string;
  items: number;
  trashed: number;
  folders: number;
  last_sync: string | null;
  devices: { name: string; last_used_at: string | null }[];
}

const kdfText = (k: NonNullable<Status['kdf']>) =>
  k.kdfType === 0
    ? `PBKDF2-SHA256, ${k.iterations.toLocaleString('en')} iterations`
    : `Argon2id, ${k.iterations} iterations, ${k.memory} MiB, ${k.parallelism} lanes`;

export function VaultPage({ me }: { me: Me }) {
  const status = useLoad(() => call<Status>('vault/status'));
  const [created, setCreated] = useState(false);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Vault</h1>
      </div>
      <Card title="My vault" actions={<RefreshButton load={status} />}>
        {status.error && <Notice kind="error">{status.error}</Notice>}
        {!status.data ? (
          <Loading what="your vault" />
        ) : status.data.registered ? (
          <>
            <Notice kind="ok">{created ? `Your vault is ready: ${status.data.email}.` : `You have a vault: ${status.data.email}.`}</Notice>
            <dl class="facts">
              <dt>Log in as</dt>
              <dd>{status.data.email}</dd>
              <dt>KDF</dt>
              <dd>{status.data.kdf ? kdfText(status.data.kdf) : '—'}</dd>
              <dt>Items</dt>
              <dd>{status.data.items}</dd>
              <dt>Last sync</dt>
              <dd>{status.data.last_sync ? formatDate(status.data.last_sync) : 'never'}</dd>
            </dl>
            <ServerInfo server={status.data.server} email={status.data.email} />
          </>
        ) : (
          <CreateVault
            email={status.data.email}
            name={me.full_name}
            onCreated={async () => {
              setCreated(true);
              await status.reload();
            }}
          />
        )}
      </Card>
      {me.role === 'maintainer' && <VaultAdmin onChange={status.reload} />}
    </div>
  );
}

function ServerInfo({ server, email }: { server: Server | null; email: string }) {
  if (!server) {
    return (
      <Notice kind="warn">
        HTTPS is off on this server, and Bitwarden apps refuse plain HTTP. The maintainer turns it on with <code>[server] tls_listen</code>.
      </Notice>
    );
  }
  return (
    <div class="vault-server">
      <h3>Point Bitwarden apps at this server</h3>
      <p class="muted">
        In the app choose “Self-hosted”, enter this server URL, then log in with <strong>{email}</strong> and your master password.
      </p>
      <div class="row">
        <code class="token" data-url={server.url}>
          {server.url}
        </code>
        <CopyButton text={server.url} label="Copy URL" />
      </div>
      {server.local_ca ? (
        <TrustServer fingerprint={server.ca_cert_fingerprint} />
      ) : (
        <p class="muted small">
          The server uses a certificate from a public or configured CA (fingerprint <code class="fingerprint">{server.ca_cert_fingerprint}</code>): devices
          trust it as they are.
        </p>
      )}
    </div>
  );
}

type Step = 'token' | 'derive' | 'send' | null;
const STEP_TEXT: Record<Exclude<Step, null>, string> = {
  token: 'Asking Hearth for a registration token…',
  derive: 'Deriving and encrypting your keys in this browser… This can take a few seconds.',
  send: 'Sending the encrypted keys to Hearth…',
};

function CreateVault({ email, name, onCreated }: { email: string; name: string; onCreated: () => Promise<void> }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [iterations, setIterations] = useState(String(DEFAULT_ITERATIONS));
  const [step, setStep] = useState<Step>(null);
  const { busy, error, run, setError } = useAction();
  const webCrypto = typeof globalThis.crypto?.subtle === 'object' && globalThis.isSecureContext;

  const submit = () => {
    const n = Number(iterations);
    if (password.length < MIN_MASTER_PASSWORD) return setError(`The master password must be at least ${MIN_MASTER_PASSWORD} characters.`);
    if (password !== again) return setError('The two master passwords differ.');
    if (!Number.isInteger(n) || n < MIN_ITERATIONS || n > MAX_ITERATIONS) {
      return setError(`Iterations must be a whole number from ${MIN_ITERATIONS.toLocaleString('en')} to ${MAX_ITERATIONS.toLocaleString('en')}.`);
    }
    void run(async () => {
      try {
        setStep('token');
        const t = await call<{ token: string; email: string }>('vault/registration_token');
        setStep('derive');
        // Let the progress message paint before the derivation keeps the browser busy.
        await new Promise((r) => setTimeout(r, 50));
        const reg = await makeRegistration(t.email, password, n);
        setStep('send');
        const res = await fetch('/bitwarden/identity/accounts/register/finish', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(registerFinishBody(reg, t.token, name)),
          credentials: 'omit',
          cache: 'no-store',
        });
        if (res.status !== 200) {
          const body = await res.json().catch(() => ({}));
          throw new Error(`Hearth refused the registration (${res.status}): ${body.message ?? body.error_description ?? 'no reason given'}`);
        }
        setPassword('');
        setAgain('');
        await onCreated();
      } finally {
        setStep(null);
      }
    });
  };

  if (!webCrypto) {
    return (
      <Notice kind="warn">
        This browser offers no WebCrypto on this page, so it cannot make the vault's keys: open the console over HTTPS (or on localhost), or create the vault
        with <code>hearth vault register</code>.
      </Notice>
    );
  }
  return (
    <>
      <p class="muted">
        You have no vault yet. Create one for <strong>{email}</strong>; the Bitwarden apps and the <code>bw</code> CLI then use this server.
      </p>
      <Notice kind="warn">
        <strong>The master password cannot be recovered.</strong> Your keys are made from it here, in this browser; Hearth never sees it, only a hash of it and
        your keys encrypted with it. Forget it and the vault is lost — nobody, not even the server's maintainer, can open it.
      </Notice>
      {error && <Notice kind="error">{error}</Notice>}
      <Form onSubmit={submit} label="Create my vault">
        <Field
          label="Master password"
          hint={`At least ${MIN_MASTER_PASSWORD} characters. Not your Hearth password.`}
          type="password"
          value={password}
          onInput={setPassword}
          autocomplete="new-password"
          required
          minLength={MIN_MASTER_PASSWORD}
          name="master-password"
        />
        <Field
          label="Master password, again"
          type="password"
          value={again}
          onInput={setAgain}
          autocomplete="new-password"
          required
          minLength={MIN_MASTER_PASSWORD}
          name="master-password2"
        />
        <Field
          label="PBKDF2-SHA256 iterations"
          hint={`${DEFAULT_ITERATIONS.toLocaleString('en')} by default (Bitwarden's). More makes a guessed password slower to try, and unlocking slower. Argon2id is not offered in the browser: use “hearth vault register --kdf argon2id” for it.`}
          type="number"
          value={iterations}
          onInput={setIterations}
          required
          name="iterations"
        />
        {step && (
          <div class="loading" role="status">
            <span class="spinner" aria-hidden="true" /> {STEP_TEXT[step]}
          </div>
        )}
        <Button type="submit" kind="primary" busy={busy}>
          Create my vault
        </Button>
      </Form>
    </>
  );
}

function VaultAdmin({ onChange }: { onChange: () => Promise<void> }) {
  const list = useLoad(() => call<VaultRow[]>('vault/accounts'));
  const del = useAction();
  const [message, setMessage] = useState<string | null>(null);
  const remove = (v: VaultRow) => {
    if (
      !confirm(
        `Delete the vault of ${v.username} (${v.email})? Its items, folders, keys and device logins are deleted for good; the Hearth account stays. This cannot be undone.`,
      )
    )
      return;
    void del.run(async () => {
      await call('vault/delete', { username: v.username });
      setMessage(`Deleted the vault of ${v.username}.`);
      await Promise.all([list.reload(), onChange()]);
    });
  };
  return (
    <Card title="Vaults on this server" actions={<RefreshButton load={list} />}>
      <p class="muted small">Counts and dates only: Hearth cannot read what a vault holds.</p>
      {message && <Notice kind="ok">{message}</Notice>}
      {del.error && <Notice kind="error">{del.error}</Notice>}
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {!list.data ? (
        <Loading what="vaults" />
      ) : list.data.length ? (
        <div class="table-wrap">
          <StackTable
            label="Vaults"
            rows={list.data}
            rowKey={(v) => v.username}
            columns={[
              { label: 'Account', cell: (v) => v.username },
              { label: 'E-mail', cell: (v) => v.email },
              { label: 'KDF', cell: (v) => v.kdf },
              {
                label: 'Items',
                class: 'num',
                cell: (v) => (
                  <>
                    {v.items}
                    {v.trashed > 0 && <span class="muted small"> (+{v.trashed} in trash)</span>}
                  </>
                ),
              },
              { label: 'Folders', class: 'num', cell: (v) => v.folders },
              { label: 'Last sync', class: 'nowrap', cell: (v) => (v.last_sync ? formatDate(v.last_sync) : 'never') },
              {
                label: 'Devices',
                cell: (v) => (v.devices.length ? `${v.devices.length}: ${v.devices.map((d) => d.name).join(', ')}` : <span class="muted">none</span>),
              },
            ]}
            actions={(v) => (
              <Button kind="danger" onClick={() => remove(v)} busy={del.busy} label={`Delete the vault of ${v.username}`}>
                Delete vault
              </Button>
            )}
          />
        </div>
      ) : (
        <Empty title="No vaults yet">Each account creates its own on this page, or with “hearth vault register”.</Empty>
      )}
    </Card>
  );
}
