/**
 * Manage a systemd unit: started/stopped/restarted/reloaded, enabled/disabled at boot, masked or
 * not, with `systemctl daemon-reload` first when unit files changed on disk (`NeedDaemonReload`)
 * or when asked. `changed` only when the state moved (`restarted`/`reloaded` always act, which
 * is what a handler wants). A failed start, restart or reload fails the task with `systemctl
 * status` and the journal's last lines. Idempotent: `systemctl show` decides. Check mode: full.
 *
 * @example
 * systemd({ name: 'chrony', state: 'started', enabled: true }, { become: true })
 * systemd({ name: 'ssh', state: 'reloaded' }, { become: true, name: 'reload sshd' })   // a handler
 * systemd({ name: 'ucw-agent', daemonReload: true, state: 'restarted' }, { become: true })
 */
import { defineModule, change, noop, exec, CommandError, ParamError, sh, type Plan, type Step } from '../runner/module.ts';
import { parseUnitShow, unitShowCommand, unitStatusCommand, type UnitState } from './facts/systemd.ts';

export interface SystemdParams {
  /** Unit name; `.service` is added when no type suffix is given. */
  name: string;
  /** `started`/`stopped` move only when needed; `restarted`/`reloaded` always act (reload falls back to start when stopped). */
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  /** Start at boot (`enable`) or not (`disable`); unset: left as it is. */
  enabled?: boolean;
  /** `mask` (no start by anyone) or `unmask`; unset: left as it is. */
  masked?: boolean;
  /** Run `systemctl daemon-reload` first even when systemd does not ask for it. @default false */
  daemonReload?: boolean;
}

const unitOf = (n: string) =>
  /\.(service|socket|timer|mount|target|path|slice|scope|swap|automount|device)$/.test(n) ? n : `${n}.service`;
const UP = ['active', 'reloading', 'activating'];
const ENABLED = ['enabled', 'enabled-runtime', 'alias', 'indirect', 'generated'];

export const systemd = defineModule<SystemdParams, UnitState>({
  name: 'systemd',
  summary: (p) =>
    [unitOf(p.name), p.state, p.enabled === undefined ? '' : p.enabled ? 'enabled' : 'disabled', p.masked ? 'masked' : '']
      .filter(Boolean)
      .join(' '),
  validate: (p) => {
    if (!/^[A-Za-z0-9:_.@\\-]+$/.test(p.name ?? '')) throw new ParamError(`systemd: ${JSON.stringify(p.name)} is not a unit name`);
    if (p.state !== undefined && !['started', 'stopped', 'restarted', 'reloaded'].includes(p.state))
      throw new ParamError(`systemd: "state" must be started, stopped, restarted or reloaded`);
    if (p.masked && (p.enabled || (p.state && p.state !== 'stopped')))
      throw new ParamError('systemd: a masked unit can be neither enabled nor started');
    if (p.state === undefined && p.enabled === undefined && p.masked === undefined && !p.daemonReload)
      throw new ParamError('systemd: give state, enabled, masked or daemonReload');
  },
  facts: async (ctx, p) => parseUnitShow((await ctx.run(unitShowCommand(unitOf(p.name)), { quiet: true })).stdout),
  plan,
  apply: async (ctx, p, _f, pl) => {
    for (const s of pl.steps) {
      try {
        await ctx.runStep(s);
      } catch (e) {
        if (!(e instanceof CommandError) || s.kind !== 'exec' || !/ (start|restart|reload|reload-or-restart) /.test(s.cmd + ' ')) throw e;
        const status = await ctx.run(unitStatusCommand(unitOf(p.name)), { quiet: true, okExitCodes: 'any' });
        const f = e.failure;
        throw new CommandError(
          { ...f, stderr: `${f.stderr.trim()}\n--- systemctl status and journal:\n${status.stdout.trim()}`.trim() },
          e,
        );
      }
    }
    return {};
  },
});

/** Pure: the unit's state → daemon-reload, (un)mask, enable/disable, start/stop/restart/reload. */
export function plan(p: SystemdParams, f: UnitState): Plan {
  const u = unitOf(p.name);
  const steps: Step[] = [];
  const why: string[] = [];
  const masked = f.loadState === 'masked' || f.unitFileState === 'masked';
  // under --check the package that brings the unit may not be installed yet; a real run fails, saying so
  if (f.loadState === 'not-found' && !(p.masked === true) && !(p.state === 'stopped' || p.enabled === false))
    return change(`${u}: not found now (LoadState=not-found): an earlier task must install it`, {
      steps: [exec(sh`echo ${`systemd: unit ${u} not found (LoadState=not-found)`} >&2; exit 67`)],
    });
  if (p.daemonReload || f.needDaemonReload)
    (steps.push(exec('systemctl daemon-reload')), why.push(f.needDaemonReload ? 'unit files changed: daemon-reload' : 'daemon-reload'));
  if (p.masked === true && !masked) (steps.push(exec(sh`systemctl mask ${u}`)), why.push('mask'));
  if (p.masked === false && masked) (steps.push(exec(sh`systemctl unmask ${u}`)), why.push('unmask'));
  const stillMasked = p.masked ?? masked;
  if (stillMasked && (p.enabled || (p.state && p.state !== 'stopped')))
    throw new ParamError(`systemd: ${u} is masked; unmask it (masked: false) to enable or start it`);
  if (p.enabled !== undefined && f.loadState !== 'not-found') {
    if (f.unitFileState === 'static' && p.enabled) why.push('static (no [Install]: started by others, nothing to enable)');
    else if (p.enabled && !ENABLED.includes(f.unitFileState))
      (steps.push(exec(sh`systemctl enable ${u}`)), why.push(`enable (was ${f.unitFileState || 'unknown'})`));
    else if (!p.enabled && ENABLED.includes(f.unitFileState)) (steps.push(exec(sh`systemctl disable ${u}`)), why.push('disable'));
  }
  const up = UP.includes(f.activeState);
  if (p.state === 'started' && !up) (steps.push(exec(sh`systemctl start ${u}`)), why.push(`start (was ${f.activeState})`));
  if (p.state === 'stopped' && (up || f.activeState === 'deactivating')) (steps.push(exec(sh`systemctl stop ${u}`)), why.push('stop'));
  if (p.state === 'restarted') (steps.push(exec(sh`systemctl restart ${u}`)), why.push(up ? 'restart' : `start (was ${f.activeState})`));
  if (p.state === 'reloaded') {
    const cmd = !up ? 'start' : f.canReload ? 'reload' : 'restart';
    steps.push(exec(sh`systemctl ${cmd} ${u}`));
    why.push(!up ? `start (was ${f.activeState})` : f.canReload ? 'reload' : 'restart (the unit cannot reload)');
  }
  if (!steps.length)
    return noop(`${u} is ${f.activeState}/${f.subState}, ${f.unitFileState || f.loadState}${why.length ? `; ${why.join('; ')}` : ''}`);
  return change(`${u}: ${why.join(', ')}`, {
    steps,
    diff: [
      {
        path: `(unit ${u})`,
        before: `${f.activeState} ${f.unitFileState}\n`,
        after: `${p.state === 'stopped' ? 'inactive' : p.state ? 'active' : f.activeState} ${p.masked ? 'masked' : p.enabled === undefined ? f.unitFileState : p.enabled ? (f.unitFileState === 'static' ? 'static' : 'enabled') : 'disabled'}\n`,
      },
    ],
  });
}
