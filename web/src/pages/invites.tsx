/** Invites (maintainers): single-use codes for registration by invitation — create with an expiry, list, revoke. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, CopyButton, Empty, Form, formatDate, Loaded, Notice, RefreshButton, Select, StackTable, useAction, useLoad } from '../ui';

interface Invite {
  id: string;
  created_at: string;
  expires_at: string;
}

const EXPIRIES = [
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '7 days' },
  { value: '2592000', label: '30 days' },
];

/** The link that opens the console's sign-up form with the code filled in (in the fragment, which is never sent). */
export const inviteLink = (code: string) => `${location.origin}/#invite=${encodeURIComponent(code)}`;

export function InvitesPage({ registration }: { registration: string }) {
  const list = useLoad(() => call<Invite[]>('bonafide/invite/list'));
  const [expiry, setExpiry] = useState('604800');
  const [issued, setIssued] = useState<{ invitecode: string; expires_at: string } | null>(null);
  const create = useAction();
  const revoke = useAction();
  const submit = () =>
    create.run(async () => {
      setIssued(await call('bonafide/invite/create', { expires_in: Number(expiry) }));
      await list.reload();
    });
  const doRevoke = (id: string) => {
    if (!confirm('Revoke this invite? Nobody can sign up with it any more.')) return;
    void revoke.run(async () => {
      await call('bonafide/invite/revoke', { id });
      await list.reload();
    });
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Invites</h1>
      </div>
      {registration !== 'invite' && (
        <Notice kind="warn">
          {registration === 'open' ? 'Registration is open: anyone may sign up without an invite.' : 'Registration is closed: invite codes are not accepted.'}{' '}
          Set <code>[accounts] registration = "invite"</code> in hearth.toml for sign-up by invitation.
        </Notice>
      )}
      <Card title="Invite someone">
        <p class="muted">An invite lets one person create their own account on the sign-up page. It works once, until it expires.</p>
        {create.error && <Notice kind="error">{create.error}</Notice>}
        {issued && (
          <div class="secret" role="status">
            <p>
              <strong>Send this link now.</strong> It is shown only once and works until {formatDate(issued.expires_at)}.
            </p>
            <code class="token" data-invite={issued.invitecode}>
              {inviteLink(issued.invitecode)}
            </code>
            <p class="muted small">
              Or the code alone, for the sign-up page: <code class="invite-code">{issued.invitecode}</code>
            </p>
            <div class="row">
              <CopyButton text={inviteLink(issued.invitecode)} label="Copy the link" />
              <Button kind="ghost" onClick={() => setIssued(null)}>
                Done
              </Button>
            </div>
          </div>
        )}
        <Form onSubmit={submit} label="Create an invite" class="form form-inline">
          <Select label="Expires after" value={expiry} onChange={setExpiry} options={EXPIRIES} />
          <Button type="submit" kind="primary" busy={create.busy}>
            Create invite
          </Button>
        </Form>
      </Card>
      <Card title="Open invites" actions={<RefreshButton load={list} />}>
        <Loaded
          load={list}
          what="invites"
          errors={[revoke.error]}
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title="No open invites">Invites appear here until they are used or expire. The codes themselves are not kept.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(i) => i.id}
              columns={[
                { label: 'Id', cell: (i) => <code>{i.id.slice(0, 8)}</code> },
                { label: 'Created', cell: (i) => formatDate(i.created_at) },
                { label: 'Expires', cell: (i) => formatDate(i.expires_at) },
              ]}
              actions={(i) => (
                <Button kind="danger" onClick={() => doRevoke(i.id)} busy={revoke.busy} label={`Revoke invite ${i.id.slice(0, 8)}`}>
                  Revoke
                </Button>
              )}
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}
