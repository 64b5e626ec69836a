/** SSH keys: your own keys on the server; a maintainer adds and removes keys of any user, or root's. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { Me } from '../app';
import { Button, Card, Empty, Field, Form, formatDate, Loaded, Notice, RefreshButton, StackTable, useAction, useLoad } from '../ui';

interface Key {
  type: string;
  public_key: string;
  comment: string;
  fingerprint: string;
  created_at: string;
}

export function SshPage(props: { me: Me }) {
  const maintainer = props.me.role === 'maintainer';
  const [user, setUser] = useState(props.me.username);
  const [shown, setShown] = useState(props.me.username);
  const [key, setKey] = useState('');
  const list = useLoad(() => call<{ username: string; keys: Key[] }>('ssh/key/list', { username: shown }), [shown]);
  const add = useAction();
  const remove = useAction();
  const submit = () =>
    add.run(async () => {
      await call('ssh/key/add', { public_key: key, username: shown });
      setKey('');
      await list.reload();
    });
  const doRemove = (k: Key) => {
    if (!confirm(`Remove the key ${k.fingerprint} of ${shown}? Logins with it stop at once.`)) return;
    void remove.run(async () => {
      await call('ssh/key/delete', { public_key: k.fingerprint, username: shown });
      await list.reload();
    });
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>SSH keys</h1>
      </div>
      {maintainer && (
        <Card title="Whose keys">
          <Form onSubmit={() => setShown(user.trim() || props.me.username)} label="Whose keys" class="form form-inline">
            <Field label="User" value={user} onInput={setUser} hint="A username, or root." />
            <Button type="submit">Show</Button>
          </Form>
        </Card>
      )}
      <Card title={`Keys of ${shown}`} actions={<RefreshButton load={list} />}>
        <Loaded
          load={list}
          what="keys"
          errors={[remove.error]}
          isEmpty={(data) => data.keys.length === 0}
          empty={<Empty title="No SSH key">{maintainer ? 'Add one below.' : 'A maintainer adds keys for you.'}</Empty>}
        >
          {(data) => (
            <StackTable
              rows={data.keys}
              rowKey={(k) => k.fingerprint}
              columns={[
                { label: 'Type', cell: (k) => k.type },
                { label: 'Fingerprint', cell: (k) => <code class="break">{k.fingerprint}</code> },
                { label: 'Comment', cell: (k) => k.comment || <span class="muted">—</span> },
                { label: 'Added', cell: (k) => formatDate(k.created_at) },
              ]}
              actions={
                maintainer
                  ? (k) => (
                      <Button kind="danger" onClick={() => doRemove(k)} busy={remove.busy} label={`Remove the key ${k.fingerprint}`}>
                        Remove
                      </Button>
                    )
                  : undefined
              }
            />
          )}
        </Loaded>
      </Card>
      {maintainer && (
        <Card title={`Add a key to ${shown}`}>
          {add.error && <Notice kind="error">{add.error}</Notice>}
          <Form onSubmit={submit} label="Add an SSH key" class="form">
            <Field
              label="Public key"
              value={key}
              onInput={setKey}
              hint="One line, e.g. the content of ~/.ssh/id_ed25519.pub (ed25519, ECDSA, sk- or RSA ≥ 2048 bits)."
            />
            <Button type="submit" kind="primary" busy={add.busy}>
              Add key
            </Button>
          </Form>
        </Card>
      )}
    </div>
  );
}
