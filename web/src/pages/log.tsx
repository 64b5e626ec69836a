/** The sign-in log (`auth/log`): maintainers and auditors see every attempt, others their own. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { Me } from '../app';
import { Button, Card, Empty, formatDate, Loading, Notice, useLoad } from '../ui';

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
      <Card
        title={everyone ? 'Every sign-in and failed attempt' : 'Sign-ins to your account'}
        actions={
          <Button onClick={log.reload} busy={log.loading}>
            Refresh
          </Button>
        }
      >
        <p class="muted">
          {everyone
            ? 'Logins, wrong passwords and wrong phrases on every surface, newest first. Entries are kept 30 days.'
            : 'Logins to your account and wrong passwords typed for it, newest first. Entries are kept 30 days.'}
        </p>
        <label class="check">
          <input type="checkbox" checked={failures} onChange={(e) => setFailures((e.target as HTMLInputElement).checked)} /> Only failed attempts
        </label>
        {log.error && <Notice kind="error">{log.error}</Notice>}
        {!log.data ? (
          !log.error && <Loading what="the log" />
        ) : log.data.length ? (
          <table class="table table-stack">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Account</th>
                <th scope="col">Result</th>
                <th scope="col">Address</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((a, i) => (
                <tr key={`${a.at}-${i}`}>
                  <td data-label="When">{formatDate(a.at)}</td>
                  <td data-label="Account">{a.username}</td>
                  <td data-label="Result">
                    <span class={`badge ${a.success ? 'badge-on' : 'badge-bad'}`} title={a.reason}>
                      {REASONS[a.reason] ?? a.reason}
                    </span>
                  </td>
                  <td data-label="Address">
                    <code>{a.address}</code>
                  </td>
                  <td data-label="Where">{SURFACES[a.surface] ?? a.surface}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty title={failures ? 'No failed attempts' : 'Nothing logged yet'}>Sign-ins and failed attempts appear here.</Empty>
        )}
      </Card>
    </div>
  );
}
