/** Keys: the account's OpenPGP key pair (fingerprint, expiry, export), and others' public keys (import, forget). */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, CopyButton, Empty, Field, Form, formatDate, Loaded, Loading, Notice, RefreshButton, StackTable, useAction, useLoad } from '../ui';

interface Key {
  address: string;
  fingerprint: string | null;
  uids: string[];
  algorithm: string | null;
  bits: number | null;
  created_at: string | null;
  expires_at: string | null;
  private: boolean;
  status: 'generating' | 'found' | 'failed';
  state: 'valid' | 'expired' | 'revoked' | null;
  validation: string;
  refreshed_at: string;
  error: string | null;
}

/** `ABCD1234…` in groups of four, as OpenPGP tools show it. */
const grouped = (fp: string) => fp.match(/.{1,4}/g)!.join(' ');

function Armored(props: { text: string; label: string }) {
  return (
    <div class="armored">
      <textarea readOnly rows={8} aria-label={props.label} class="mono" value={props.text} />
      <CopyButton text={props.text} label={`Copy the ${props.label.toLowerCase()}`} />
    </div>
  );
}

export function KeysPage() {
  const list = useLoad(() => call<Key[]>('keys/list'));
  const own = list.data?.find((k) => k.private);
  const others = list.data?.filter((k) => !k.private) ?? [];
  const [exported, setExported] = useState<{ armored: string; private: boolean } | null>(null);
  const [password, setPassword] = useState('');
  const [address, setAddress] = useState('');
  const [armor, setArmor] = useState('');
  const [imported, setImported] = useState<Key | null>(null);
  const exportAction = useAction();
  const importAction = useAction();
  const forget = useAction();
  const generate = useAction();

  const exportPublic = () => exportAction.run(async () => setExported(await call('keys/export', {})));
  const exportPrivate = () =>
    exportAction.run(async () => {
      setExported(await call('keys/export', { private: true, password }));
      setPassword('');
    });
  const doImport = () =>
    importAction.run(async () => {
      setImported(await call<Key>('keys/insert', { address: address.trim(), key: armor }));
      setAddress('');
      setArmor('');
      await list.reload();
    });
  const doForget = (a: string) => {
    if (!confirm(`Forget the key of ${a}?`)) return;
    void forget.run(async () => {
      await call('keys/delete', { address: a });
      await list.reload();
    });
  };
  const makeKeyPair = () =>
    generate.run(async () => {
      await call('keys/generate', { password, replace: own?.status === 'found' });
      setPassword('');
      await list.reload();
    });

  return (
    <div class="page">
      <div class="page-head">
        <h1>Keys</h1>
        <RefreshButton load={list} />
      </div>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <Card title="Your key pair">
        {!list.data ? (
          !list.error && <Loading what="your keys" />
        ) : own?.status === 'found' && own.fingerprint ? (
          <>
            <dl class="facts">
              <dt>Address</dt>
              <dd>{own.address}</dd>
              <dt>Fingerprint</dt>
              <dd>
                <code class="fingerprint" data-fingerprint={own.fingerprint}>
                  {grouped(own.fingerprint)}
                </code>
              </dd>
              <dt>Algorithm</dt>
              <dd>
                {own.algorithm} ({own.bits} bits)
              </dd>
              <dt>Created</dt>
              <dd>{formatDate(own.created_at)}</dd>
              <dt>Expires</dt>
              <dd>{own.expires_at ? formatDate(own.expires_at) : 'never'}</dd>
            </dl>
            {exportAction.error && <Notice kind="error">{exportAction.error}</Notice>}
            <div class="row">
              <Button onClick={exportPublic} busy={exportAction.busy}>
                Export public key
              </Button>
            </div>
            <Form onSubmit={exportPrivate} label="Export the private key" class="form form-inline">
              <Field
                label="Your password"
                type="password"
                value={password}
                onInput={setPassword}
                autocomplete="current-password"
                required
                hint="The private key stays encrypted under this password; it is asked for again each time."
              />
              <Button type="submit" kind="danger" busy={exportAction.busy}>
                Export private key
              </Button>
            </Form>
            {exported && (
              <div role="status">
                <p>
                  <strong>{exported.private ? 'Your private key' : 'Your public key'}</strong>
                  {exported.private ? ' — keep it safe; it opens with your password.' : ' — give it to whoever writes to you.'}
                </p>
                <Armored text={exported.armored} label={exported.private ? 'Private key' : 'Public key'} />
              </div>
            )}
          </>
        ) : own?.status === 'generating' ? (
          <Notice kind="info">Your key pair is being made; refresh in a moment.</Notice>
        ) : (
          <>
            <Notice kind={own ? 'error' : 'info'}>{own?.error ?? 'You have no key pair yet.'}</Notice>
            {generate.error && <Notice kind="error">{generate.error}</Notice>}
            <Form onSubmit={makeKeyPair} label="Make a key pair" class="form form-inline">
              <Field label="Your password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required />
              <Button type="submit" kind="primary" busy={generate.busy}>
                Make a key pair
              </Button>
            </Form>
          </>
        )}
      </Card>
      <Card title="Import someone's public key">
        {importAction.error && <Notice kind="error">{importAction.error}</Notice>}
        {imported && (
          <Notice kind={imported.state === 'valid' ? 'ok' : 'warn'}>
            Imported the key of {imported.address}
            {imported.state !== 'valid' ? ` — it is ${imported.state}` : ''}.
          </Notice>
        )}
        <Form onSubmit={doImport} label="Import a public key" class="form">
          <Field label="Their address" value={address} onInput={setAddress} required hint="The key must name this address in its user ids." />
          <div class="field">
            <label for="key-armor">Public key (ASCII-armored)</label>
            <textarea
              id="key-armor"
              class="mono"
              rows={6}
              required
              value={armor}
              onInput={(e) => setArmor((e.target as HTMLTextAreaElement).value)}
              placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----"
              spellcheck={false}
            />
          </div>
          <Button type="submit" kind="primary" busy={importAction.busy}>
            Import
          </Button>
        </Form>
      </Card>
      <Card title="Others' keys">
        {/* The list's own error shows at the top of the page. */}
        <Loaded
          load={{ data: list.data && others, error: null }}
          what="keys"
          errors={[forget.error]}
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No keys imported">Public keys you import appear here.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(k) => k.address}
              columns={[
                { label: 'Address', cell: (k) => k.address },
                { label: 'Fingerprint', cell: (k) => <code class="fingerprint">{k.fingerprint ? grouped(k.fingerprint) : '—'}</code> },
                { label: 'State', cell: (k) => <span class={`badge ${k.state === 'valid' ? 'badge-on' : 'badge-bad'}`}>{k.state}</span> },
                { label: 'Expires', cell: (k) => (k.expires_at ? formatDate(k.expires_at) : 'never') },
              ]}
              actions={(k) => (
                <Button kind="danger" onClick={() => doForget(k.address)} busy={forget.busy} label={`Forget the key of ${k.address}`}>
                  Forget
                </Button>
              )}
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}
