/** Devices: the account's device tokens, pairing a new one by phrase and QR code, the recovery token. */
import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, CopyButton, Empty, Field, Form, formatDate, Loading, Notice, RefreshButton, useAction, useLoad } from '../ui';

interface Device {
  name: string;
  date: string;
  last_used: string | null;
  role: string;
  is_caller: boolean;
}

export function DevicesPage() {
  const devices = useLoad(() => call<Device[]>('device/list'));
  return (
    <div class="page">
      <div class="page-head">
        <h1>Devices</h1>
      </div>
      <PairCard onPaired={devices.reload} />
      <Card title="Your devices" actions={<RefreshButton load={devices} />}>
        <DeviceList {...devices} />
      </Card>
      <RecoveryCard />
    </div>
  );
}

function DeviceList({ data, error, loading, reload }: ReturnType<typeof useLoad<Device[]>>) {
  const action = useAction();
  const revoke = (name: string) => {
    if (!confirm(`Revoke ${name}? It will have to be paired again.`)) return;
    void action.run(async () => {
      await call('device/revoke', { name });
      await reload();
    });
  };
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return loading ? <Loading what="devices" /> : null;
  if (!data.length) return <Empty title="No devices yet">Pair your phone or laptop above: it gets a token of its own, which you can revoke here.</Empty>;
  return (
    <>
      {action.error && <Notice kind="error">{action.error}</Notice>}
      <ul class="list" aria-label="Devices">
        {data.map((d) => (
          <li key={d.name} class="list-item">
            <div>
              <strong>{d.name}</strong> <span class="badge badge-off">{d.role}</span>
              <div class="muted small">
                Paired {formatDate(d.date)} · last used {d.last_used ? formatDate(d.last_used) : 'never'}
              </div>
            </div>
            <Button kind="danger" onClick={() => revoke(d.name)} busy={action.busy} label={`Revoke ${d.name}`}>
              Revoke
            </Button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** Seconds left until `deadline` (this browser's clock: set from the server's expires_in). */
function useCountdown(deadline: number | null): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!deadline) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [deadline]);
  return deadline ? Math.max(0, Math.round((deadline - now) / 1000)) : 0;
}

function PairCard({ onPaired }: { onPaired: () => void }) {
  const [pairing, setPairing] = useState<{ token: string; link: string | null; deadline: number; svg: string } | null>(null);
  const action = useAction();
  const left = useCountdown(pairing?.deadline ?? null);
  const start = () =>
    action.run(async () => {
      const p = await call<{ token: string; expires_in: number; link: string | null }>('device/pair');
      const deadline = Date.now() + p.expires_in * 1000;
      // The link tells the device where the server is and which certificate to pin, as well as the words.
      const svg = await QRCode.toString(p.link ?? p.token, { type: 'svg', margin: 1, errorCorrectionLevel: 'M', color: { dark: '#1c1917', light: '#ffffff' } });
      setPairing({ token: p.token, link: p.link, deadline, svg });
    });
  const cancel = () =>
    action.run(async () => {
      await call('device/unpair');
      setPairing(null);
    });
  const finish = () => {
    setPairing(null);
    onPaired();
  };
  const expired = pairing !== null && left === 0;
  return (
    <Card title="Pair a new device">
      {action.error && <Notice kind="error">{action.error}</Notice>}
      {!pairing ? (
        <>
          <p class="muted">A pairing phrase lets one new device get its own token. It works once, for 10 minutes.</p>
          <Button kind="primary" onClick={start} busy={action.busy}>
            Pair a new device
          </Button>
        </>
      ) : (
        <div class="pairing">
          <div
            class="qr"
            aria-label={pairing.link ? 'QR code of the pairing link' : 'QR code of the pairing phrase'}
            role="img"
            data-link={pairing.link ?? undefined}
            dangerouslySetInnerHTML={{ __html: pairing.svg }}
          />
          <div class="pairing-body">
            <p>On the new device, enter these 12 words or scan the code.</p>
            <ol class="words" aria-label="Pairing phrase" data-phrase={pairing.token}>
              {pairing.token.split(' ').map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ol>
            <p class={expired ? 'countdown expired' : 'countdown'} role="timer" aria-live="off">
              {expired ? 'This phrase has expired.' : `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`}
            </p>
            <div class="row">
              <CopyButton text={pairing.token} label="Copy the words" />
              {pairing.link && <CopyButton text={pairing.link} label="Copy the link" />}
              {expired ? (
                <Button kind="primary" onClick={start} busy={action.busy}>
                  New phrase
                </Button>
              ) : (
                <Button kind="primary" onClick={finish}>
                  Done
                </Button>
              )}
              <Button kind="ghost" onClick={cancel} busy={action.busy}>
                Cancel pairing
              </Button>
            </div>
          </div>
        </div>
      )}
    </Card>
  );
}

interface Recovery {
  exists: boolean;
  valid: boolean;
  date: string | null;
  expiration: string | null;
  uses_left: number | null;
}

function RecoveryCard() {
  const status = useLoad(() => call<Recovery>('recovery/status'));
  const [expiration, setExpiration] = useState('');
  const [uses, setUses] = useState('');
  const [phrase, setPhrase] = useState<string | null>(null);
  const action = useAction();
  const create = () =>
    action.run(async () => {
      const params: Record<string, unknown> = {};
      if (expiration) params.expiration = new Date(`${expiration}T23:59:59`).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
      if (uses) params.uses = Number(uses);
      const r = await call<{ token: string }>('recovery/create', params);
      setPhrase(r.token);
      await status.reload();
    });
  const s = status.data;
  return (
    <Card title="Recovery token">
      <p class="muted">If you lose every device, the recovery token's 18 words pair a new one. Keep it offline. Creating one replaces the previous one.</p>
      {status.error && <Notice kind="error">{status.error}</Notice>}
      {!s ? (
        <Loading what="the recovery token" />
      ) : s.exists ? (
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <span class={`badge ${s.valid ? 'badge-on' : 'badge-bad'}`}>{s.valid ? 'valid' : 'not valid'}</span>
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(s.date)}</dd>
          <dt>Expires</dt>
          <dd>{s.expiration ? formatDate(s.expiration) : 'never'}</dd>
          <dt>Uses left</dt>
          <dd>{s.uses_left ?? 'unlimited'}</dd>
        </dl>
      ) : (
        <Empty title="No recovery token">Create one and keep its words somewhere safe.</Empty>
      )}
      {phrase && (
        <div class="secret" role="status">
          <p>
            <strong>Write these words down now.</strong> They are shown only once.
          </p>
          <ol class="words words-18" aria-label="Recovery phrase">
            {phrase.split(' ').map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ol>
          <div class="row">
            <CopyButton text={phrase} label="Copy the words" />
            <Button kind="ghost" onClick={() => setPhrase(null)}>
              I have written them down
            </Button>
          </div>
        </div>
      )}
      {action.error && <Notice kind="error">{action.error}</Notice>}
      <Form onSubmit={create} label="Create a recovery token" class="form form-inline">
        <Field label="Expires on (optional)" type="date" value={expiration} onInput={setExpiration} name="expiration" hint="Empty: never." />
        <Field label="Uses (optional)" type="number" value={uses} onInput={setUses} name="uses" hint="Empty: unlimited." />
        <Button type="submit" kind="primary" busy={action.busy}>
          {s?.exists ? 'Replace the recovery token' : 'Create a recovery token'}
        </Button>
      </Form>
    </Card>
  );
}
