/** systemd unit facts: `systemctl show -p …` and a pure parser for its `Key=value` lines. */
import { sh } from '../../runner/module.ts';

export interface UnitState {
  id: string;
  /** `loaded`, `not-found`, `masked`, `bad-setting`, `error`. */
  loadState: string;
  /** `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`. */
  activeState: string;
  subState: string;
  /** `enabled`, `enabled-runtime`, `disabled`, `static`, `masked`, `indirect`, `alias`, `generated`, `''` … */
  unitFileState: string;
  /** A unit file or drop-in changed on disk since systemd last loaded it. */
  needDaemonReload: boolean;
  canReload: boolean;
  fragmentPath: string;
}

export const SHOW_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'NeedDaemonReload',
  'CanReload',
  'FragmentPath',
];

export const unitShowCommand = (unit: string) => sh`systemctl show ${unit} --no-pager -p ${SHOW_PROPERTIES.join(',')}`;

export function parseUnitShow(out: string): UnitState {
  const kv = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    id: kv.Id ?? '',
    loadState: kv.LoadState ?? '',
    activeState: kv.ActiveState ?? '',
    subState: kv.SubState ?? '',
    unitFileState: kv.UnitFileState ?? '',
    needDaemonReload: kv.NeedDaemonReload === 'yes',
    canReload: kv.CanReload === 'yes',
    fragmentPath: kv.FragmentPath ?? '',
  };
}

/**
 * What a failed start shows: the unit's status and its journal's last lines. A failure message
 * keeps 20 lines (errors.ts `tail`, which past that keeps only error-looking ones): the status
 * (about 7) and 10 journal lines fit, so the unit's own words on stderr stay in view.
 */
export const unitStatusCommand = (unit: string, lines = 10) =>
  sh`systemctl status ${unit} --no-pager -l -n 0; journalctl -u ${unit} -n ${lines} --no-pager`;
