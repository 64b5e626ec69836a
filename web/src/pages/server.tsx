/** The server (maintainers): services with their state, enable and disable; time zone, automatic upgrades, apply. */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { Button, Card, Field, Form, Loading, Notice, RefreshButton, Select, StackTable, useAction, useLoad } from '../ui';

interface ServiceState {
  id: string;
  name: string;
  enabled: boolean;
  state: string;
}

interface Job {
  id: string;
  status: string;
  error: string | null;
}

export function ServerPage() {
  const services = useLoad(() => call<{ services: ServiceState[]; web_server: { state: string } }>('service/status'));
  const tz = useLoad(() => call<{ timezone: string }>('system/timezone/get'));
  const upgrades = useLoad(() => call<{ enable: boolean; allowReboot: boolean }>('system/auto-upgrade/get'));
  const version = useLoad(() => call<{ system_version: string; runtime: string }>('system/version'));
  const [timezone, setTimezone] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const toggle = useAction();
  const saveTz = useAction();
  const saveUp = useAction();
  const apply = useAction();

  const flip = (s: ServiceState) =>
    toggle.run(async () => {
      await call(s.enabled ? 'service/disable' : 'service/enable', { id: s.id });
      await services.reload();
    });
  const follow = async (id: string) => {
    for (;;) {
      const j = await call<Job>('job/show', { id });
      setJob(j);
      if (j.status === 'succeeded' || j.status === 'failed') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const runApply = () =>
    apply.run(async () => {
      const r = await call<{ job: Job }>('system/apply');
      setJob(r.job);
      await follow(r.job.id);
    });
  const setUp = (patch: { enable?: boolean; allowReboot?: boolean }) =>
    saveUp.run(async () => {
      await call('system/auto-upgrade/set', patch);
      await upgrades.reload();
    });

  return (
    <div class="page">
      <div class="page-head">
        <h1>Server</h1>
      </div>
      <Card title="Services" actions={<RefreshButton load={services} />}>
        <p class="muted">Enabling or disabling writes the server's state; apply the configuration to put it into effect.</p>
        {services.error && <Notice kind="error">{services.error}</Notice>}
        {toggle.error && <Notice kind="error">{toggle.error}</Notice>}
        {!services.data ? (
          services.error ? null : (
            <Loading what="services" />
          )
        ) : (
          <StackTable
            rows={services.data.services}
            rowKey={(s) => s.id}
            columns={[
              { label: 'Service', cell: (s) => s.name },
              { label: 'Enabled', cell: (s) => (s.enabled ? 'yes' : 'no') },
              {
                label: 'State',
                cell: (s) => (
                  <span class={`badge badge-${s.state === 'active' ? 'on' : s.state === 'failed' ? 'bad' : s.state === 'unknown' ? 'warn' : 'off'}`}>
                    {s.state}
                  </span>
                ),
              },
            ]}
            actions={(s) => (
              <Button onClick={() => flip(s)} busy={toggle.busy} label={`${s.enabled ? 'Disable' : 'Enable'} ${s.name}`}>
                {s.enabled ? 'Disable' : 'Enable'}
              </Button>
            )}
          />
        )}
      </Card>
      <Card title="Apply the configuration">
        {apply.error && <Notice kind="error">{apply.error}</Notice>}
        {job && (
          <Notice kind={job.status === 'failed' ? 'error' : job.status === 'succeeded' ? 'ok' : 'info'}>
            Apply job {job.id.slice(0, 8)}: {job.status}
            {job.error ? ` — ${job.error}` : ''}
          </Notice>
        )}
        <Button kind="primary" onClick={runApply} busy={apply.busy}>
          Apply now
        </Button>
      </Card>
      <Card title="Time zone">
        {saveTz.error && <Notice kind="error">{saveTz.error}</Notice>}
        {!tz.data ? (
          <Loading what="the time zone" />
        ) : (
          <Form
            onSubmit={() =>
              saveTz.run(async () => {
                await call('system/timezone/set', { timezone: timezone ?? tz.data!.timezone });
                await tz.reload();
              })
            }
            label="Set the time zone"
            class="form form-inline"
          >
            <Field label="Time zone" value={timezone ?? tz.data.timezone} onInput={setTimezone} hint="An IANA name, e.g. Europe/Berlin or UTC." />
            <Button type="submit" busy={saveTz.busy}>
              Save
            </Button>
          </Form>
        )}
      </Card>
      <Card title="Automatic upgrades">
        {saveUp.error && <Notice kind="error">{saveUp.error}</Notice>}
        {!upgrades.data ? (
          <Loading what="upgrade settings" />
        ) : (
          <div class="form form-inline">
            <Select
              label="Automatic upgrades"
              value={upgrades.data.enable ? 'on' : 'off'}
              onChange={(v) => setUp({ enable: v === 'on' })}
              options={[
                { value: 'on', label: 'On' },
                { value: 'off', label: 'Off' },
              ]}
            />
            <Select
              label="May reboot"
              value={upgrades.data.allowReboot ? 'yes' : 'no'}
              onChange={(v) => setUp({ allowReboot: v === 'yes' })}
              options={[
                { value: 'yes', label: 'Yes' },
                { value: 'no', label: 'No' },
              ]}
            />
          </div>
        )}
      </Card>
      <Card title="Versions">
        {version.data ? (
          <dl class="facts">
            <dt>System</dt>
            <dd>
              <code class="break">{version.data.system_version}</code>
            </dd>
            <dt>Runtime</dt>
            <dd>{version.data.runtime}</dd>
          </dl>
        ) : (
          <Loading what="versions" />
        )}
      </Card>
    </div>
  );
}
