/** Providers: other servers this one knows, their CA pinned; maintainers add and forget them. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, Empty, Field, Form, formatDate, Loaded, Loading, Notice, StackTable, useAction, useLoad } from '../ui';

interface Provider {
  domain: string;
  url: string;
  ca_cert_fingerprint: string;
  created_at: string;
  refreshed_at: string;
}

export function ProvidersPage(props: { maintainer: boolean }) {
  const list = useLoad(() => call<Provider[]>('bonafide/provider/list'));
  const own = useLoad(async () => (await fetch('/provider.json')).json() as Promise<{ domain: string; ca_cert_fingerprint: string | null; api_uri: string }>);
  const [domain, setDomain] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const add = useAction();
  const forget = useAction();
  const submit = () =>
    add.run(async () => {
      await call('bonafide/provider/create', { domain: domain.trim(), ...(fingerprint.trim() ? { fingerprint: fingerprint.trim() } : {}) });
      setDomain('');
      setFingerprint('');
      await list.reload();
    });
  const doForget = (d: string) => {
    if (!confirm(`Forget ${d} and its pinned CA?`)) return;
    void forget.run(async () => {
      await call('bonafide/provider/delete', { domain: d });
      await list.reload();
    });
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Providers</h1>
      </div>
      <Card title="This server">
        {own.data ? (
          <p>
            Others add this server as <code>{own.data.api_uri || own.data.domain}</code> with the CA fingerprint{' '}
            <code class="fingerprint">{own.data.ca_cert_fingerprint ?? '(HTTPS is off)'}</code>. Its provider document is at{' '}
            <a href="/provider.json">/provider.json</a>.
          </p>
        ) : (
          <Loading what="this server's provider document" />
        )}
      </Card>
      {props.maintainer && (
        <Card title="Add a provider">
          {add.error && <Notice kind="error">{add.error}</Notice>}
          <Form onSubmit={submit} label="Add a provider" class="form">
            <Field label="Domain or https:// URL" value={domain} onInput={setDomain} required hint="e.g. example.org, or https://example.org:7443" />
            <Field
              label="CA fingerprint (if asked)"
              value={fingerprint}
              onInput={setFingerprint}
              hint="SHA256: … as the provider's owner reads it from their dashboard; needed when no public CA signs its certificate."
            />
            <Button type="submit" kind="primary" busy={add.busy}>
              Add provider
            </Button>
          </Form>
        </Card>
      )}
      <Card title="Known providers">
        <Loaded
          load={list}
          what="providers"
          errors={[forget.error]}
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No known providers">Providers you add appear here.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(p) => p.domain}
              columns={[
                { label: 'Domain', cell: (p) => p.domain },
                { label: 'URL', cell: (p) => p.url },
                { label: 'Pinned CA', cell: (p) => <code class="fingerprint">{p.ca_cert_fingerprint}</code> },
                { label: 'Refreshed', cell: (p) => formatDate(p.refreshed_at) },
              ]}
              actions={
                props.maintainer
                  ? (p) => (
                      <Button kind="danger" onClick={() => doForget(p.domain)} busy={forget.busy} label={`Forget ${p.domain}`}>
                        Forget
                      </Button>
                    )
                  : undefined
              }
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}
