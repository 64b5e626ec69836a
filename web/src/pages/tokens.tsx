/** API tokens (maintainers): role tokens for automation — create with an expiry, copy once, revoke. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, CopyButton, Empty, Field, Form, formatDate, Loaded, Notice, RefreshButton, Select, StackTable, useAction, useLoad } from '../ui';

interface RoleToken {
  id: string;
  role: string;
  label: string;
  issued_at: string;
  expires_at: string;
  revoked: boolean;
}

const ROLES = ['consumer', 'creator', 'auditor', 'maintainer'];
const EXPIRIES = [
  { value: '3600', label: '1 hour' },
  { value: '21600', label: '6 hours' },
  { value: '86400', label: '1 day' },
];

export function TokensPage() {
  const list = useLoad(() => call<RoleToken[]>('token/list'));
  const [role, setRole] = useState('auditor');
  const [expiry, setExpiry] = useState('3600');
  const [label, setLabel] = useState('');
  const [issued, setIssued] = useState<{ key: string; role: string; expires_at: string } | null>(null);
  const create = useAction();
  const revoke = useAction();
  const submit = () =>
    create.run(async () => {
      setIssued(await call('token/create', { role, expiry: Number(expiry), ...(label.trim() ? { label: label.trim() } : {}) }));
      setLabel('');
      await list.reload();
    });
  const doRevoke = (id: string) => {
    if (!confirm('Revoke this token? Programs using it will be refused at once.')) return;
    void revoke.run(async () => {
      await call('token/revoke', { id });
      await list.reload();
    });
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>API tokens</h1>
      </div>
      <Card title="Create a role token">
        <p class="muted">
          For monitoring and automation: a token with a role and an expiry, sent as <code>Authorization: Bearer</code>. The server's{' '}
          <code>[security] max_token_ttl</code> caps its life.
        </p>
        {create.error && <Notice kind="error">{create.error}</Notice>}
        {issued && (
          <div class="secret" role="status">
            <p>
              <strong>Copy this token now.</strong> It is shown only once. Role {issued.role}, valid until {formatDate(issued.expires_at)}.
            </p>
            <code class="token" data-token={issued.key}>
              {issued.key}
            </code>
            <div class="row">
              <CopyButton text={issued.key} label="Copy the token" />
              <Button kind="ghost" onClick={() => setIssued(null)}>
                Done
              </Button>
            </div>
          </div>
        )}
        <Form onSubmit={submit} label="Create a role token" class="form form-inline">
          <Select
            label="Role"
            value={role}
            onChange={setRole}
            options={ROLES.map((r) => ({ value: r, label: r }))}
            hint="auditor reads status; maintainer may do anything."
          />
          <Select label="Expires after" value={expiry} onChange={setExpiry} options={EXPIRIES} hint="It cannot be extended; create a new one." />
          <Field label="Label (optional)" value={label} onInput={setLabel} hint="What it is for, e.g. backup script." />
          <Button type="submit" kind="primary" busy={create.busy}>
            Create token
          </Button>
        </Form>
      </Card>
      <Card title="Live tokens" actions={<RefreshButton load={list} />}>
        <Loaded
          load={list}
          what="tokens"
          errors={[revoke.error]}
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No live tokens">Tokens you create appear here until they expire.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(t) => t.id}
              columns={[
                { label: 'Id', cell: (t) => <code>{t.id.slice(0, 8)}</code> },
                { label: 'Label', cell: (t) => t.label || <span class="muted">—</span> },
                { label: 'Role', cell: (t) => t.role },
                { label: 'Issued', cell: (t) => formatDate(t.issued_at) },
                { label: 'Expires', cell: (t) => formatDate(t.expires_at) },
              ]}
              actions={(t) =>
                t.revoked ? (
                  <span class="badge badge-off">revoked</span>
                ) : (
                  <Button kind="danger" onClick={() => doRevoke(t.id)} busy={revoke.busy} label={`Revoke token ${t.id.slice(0, 8)}`}>
                    Revoke
                  </Button>
                )
              }
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}
