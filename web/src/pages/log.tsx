/** The sign-in log (`auth/log`): maintainers and auditors see every attempt, others their own. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { Me } from '../app';
import { Card, Empty, formatDate, Loaded, RefreshButton, StackTable, useLoad } from '../ui';

interface Attempt {
  at: string;
  surface: string;
  username: string;
  address: string;
  success: boolean;
  reason: string;
}

const SURFACES: Record<string, string> = {
  native: 'API',
  rest: 'SelfPrivacy API',
  bitwarden: 'Bitwarden',
  tokens: 'Token service',
};

/** An error code in words. */
const REASONS: Record<string, string> = {
  ok: 'Signed in',
  'user:badLogin': 'Wrong password',
  'user:badAuth': 'Wrong credential',
  notFound: 'Wrong or used phrase',
  forbidden: 'Refused',
  rateLimited: 'Too many attempts',
};

export function LogPage({ me }: { me: Me }) {
  const [failures, setFailures] = useState(false);
  const everyone = me.role === 'maintainer' || me.role === 'auditor';
  const log = useLoad(() => call<Attempt[]>('auth/log', { limit: 200, failures }), [failures]);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Sign-in log</h1>
      </div>
      <Card title={everyone ? 'Every sign-in and failed attempt' : 'Sign-ins to your account'} actions={<RefreshButton load={log} />}>
        <p class="muted">
          {everyone
            ? 'Logins, wrong passwords and wrong phrases on every surface, newest first. Entries are kept 30 days.'
            : 'Logins to your account and wrong passwords typed for it, newest first. Entries are kept 30 days.'}
        </p>
        <label class="check">
          <input type="checkbox" checked={failures} onChange={(e) => setFailures((e.target as HTMLInputElement).checked)} /> Only failed attempts
        </label>
        <Loaded
          load={log}
          what="the log"
          isEmpty={(rows) => rows.length === 0}
          empty={<Empty title={failures ? 'No failed attempts' : 'Nothing logged yet'}>Sign-ins and failed attempts appear here.</Empty>}
        >
          {(rows) => (
            <StackTable
              rows={rows}
              rowKey={(a, i) => `${a.at}-${i}`}
              columns={[
                { label: 'When', cell: (a) => formatDate(a.at) },
                { label: 'Account', cell: (a) => a.username },
                {
                  label: 'Result',
                  cell: (a) => (
                    <span class={`badge ${a.success ? 'badge-on' : 'badge-bad'}`} title={a.reason}>
                      {REASONS[a.reason] ?? a.reason}
                    </span>
                  ),
                },
                { label: 'Address', cell: (a) => <code>{a.address}</code> },
                { label: 'Where', cell: (a) => SURFACES[a.surface] ?? a.surface },
              ]}
            />
          )}
        </Loaded>
      </Card>
    </div>
  );
}
