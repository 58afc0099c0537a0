/**
 * Host liveness from the controller: a TCP probe, a command over a fresh SSH session, the boot
 * id, and waiting until it is up. Shared by `waitForSsh` and `reboot`.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { retry, type Connection } from '../../runner/module.ts';

export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';

/** `10.0.0.5:22` → host and port (IPv6 in brackets allowed). */
export function endpointOf(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(i + 1));
  return i > 0 && Number.isInteger(port) && port > 0 ? { host, port } : { host: address, port: 22 };
}

/** Resolves when the port accepts a TCP connection; rejects with the reason otherwise. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`TCP ${host}:${port}: no answer within ${Math.round(timeoutMs / 100) / 10} s`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(new Error(`TCP ${host}:${port}: ${e.code ?? e.message}`));
    });
  });
}

export interface Probe {
  ok: boolean;
  bootId?: string;
  error?: string;
}

/**
 * One try: TCP connect, then a fresh SSH session (the old one is reset) running the boot-id
 * command and, if given, the test command. Never throws: the result says what failed.
 */
export async function probeHost(
  conn: Connection,
  o: { connectTimeoutMs: number; testCommand?: string; bootIdNot?: string },
): Promise<Probe> {
  const { host, port } = endpointOf(conn.address);
  try {
    await tcpProbe(host, port, o.connectTimeoutMs);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    await conn.reset();
    const r = await conn.exec(BOOT_ID_COMMAND, { timeoutMs: o.connectTimeoutMs * 2 });
    if (r.exitCode !== 0) return { ok: false, error: `SSH: reading the boot id exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}` };
    const bootId = r.stdout.trim();
    if (o.bootIdNot !== undefined && bootId === o.bootIdNot)
      return { ok: false, bootId, error: `boot id is still ${bootId} (not rebooted yet)` };
    if (o.testCommand) {
      const t = await conn.exec(o.testCommand, { timeoutMs: o.connectTimeoutMs * 6 });
      if (t.exitCode !== 0)
        return {
          ok: false,
          bootId,
          error: `test command \`${o.testCommand}\` exited ${t.exitCode}: ${(t.stderr || t.stdout).trim().slice(0, 200)}`,
        };
    }
    return { ok: true, bootId };
  } catch (e) {
    return { ok: false, error: `SSH: ${(e as Error).message}` };
  }
}

export interface WaitOutcome {
  ok: boolean;
  bootId?: string;
  attempts: number;
  elapsedMs: number;
  lastError?: string;
}

/** Probes until one passes or the timeout; backoff with jitter between tries. */
export async function waitUntilUp(
  conn: Connection,
  o: {
    timeoutMs: number;
    connectTimeoutMs: number;
    testCommand?: string;
    bootIdNot?: string;
    baseMs?: number;
    capMs?: number;
    stableMs?: number;
    onTry?: (p: Probe, n: number) => void;
  },
): Promise<WaitOutcome> {
  const w = await retry<{ bootId?: string; attempts: number }, string | undefined>(
    { timeoutMs: o.timeoutMs, baseMs: o.baseMs, capMs: o.capMs },
    async (n, left) => {
      const p = await probeHost(conn, {
        connectTimeoutMs: Math.max(500, Math.min(o.connectTimeoutMs, left)),
        testCommand: o.testCommand,
        bootIdNot: o.bootIdNot,
      });
      o.onTry?.(p, n + 1);
      if (!p.ok) return { again: p.error };
      if (!o.stableMs) return { done: { bootId: p.bootId, attempts: n + 1 } };
      // stay up for a while: updates that reboot twice come back once, then go again
      await sleep(o.stableMs);
      const again = await probeHost(conn, { connectTimeoutMs: o.connectTimeoutMs, bootIdNot: o.bootIdNot });
      if (again.ok && again.bootId === p.bootId) return { done: { bootId: p.bootId, attempts: n + 2 } };
      return { again: again.error ?? `boot id changed again (${p.bootId} → ${again.bootId})` };
    },
  );
  if (w.ok) return { ok: true, bootId: w.value.bootId, attempts: w.value.attempts, elapsedMs: w.elapsedMs };
  return { ok: false, attempts: w.attempts, elapsedMs: w.elapsedMs, lastError: w.last };
}
