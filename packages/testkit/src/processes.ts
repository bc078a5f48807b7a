import { spawn, type ChildProcess } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { REPO_ROOT } from '@switchboard/service-kit';

/** A service started as its own process by a drill, with everything it printed kept for failure messages. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: string[];
}

/**
 * Starts `entry` (a service's main.ts) under tsx from the repository root. Every child goes into
 * `children`, so the drill's afterAll can SIGKILL whatever a failed run left behind.
 */
export function spawnService(name: string, entry: string, env: Record<string, string>, children: Set<ChildProcess>): ServiceProcess {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { name, child, exited, output };
}

export const isAlive = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;
export const outputTail = (p: ServiceProcess, chars = 3000) => `${p.name}:\n${p.output.join('').slice(-chars)}`;

/** Records of `topic` not yet committed by `groupId` (end offsets − committed, or − low where nothing is committed). */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends.reduce((n, e) => {
    const c = Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
    return n + Number(e.high) - Math.max(c, Number(e.low));
  }, 0);
}
