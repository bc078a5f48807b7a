import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How tests find Kafka and ClickHouse, in order of preference:
 *  1. services named by env (KAFKA_BROKERS, CLICKHOUSE_URL): someone else runs them;
 *  2. testcontainers, when a Docker engine answers;
 *  3. otherwise the project's own: the local broker from deploy/kafka/broker.sh and an
 *     embedded chDB store in a temp dir. This is the path taken on machines without a
 *     Docker engine, including CI on a fresh clone.
 */

export interface ResolvedKafka {
  brokers: string[];
  how: 'env' | 'testcontainers' | 'local';
  stop(): Promise<void>;
}

export type ClickHouseTarget =
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string }
  | { kind: 'embedded'; path: string };

export interface ResolvedClickHouse {
  how: 'env' | 'testcontainers' | 'embedded';
  target: ClickHouseTarget;
  stop(): Promise<void>;
}

/** cp-kafka 7.9 is Apache Kafka 3.9, the same broker version broker.sh pins. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:26.7';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BROKER_SCRIPT = join(REPO_ROOT, 'deploy', 'kafka', 'broker.sh');

// A cold start includes fetching the broker's jars through Maven; that took seconds
// here, but a slow network or an empty ~/.m2 on CI deserves more than a test timeout.
const BROKER_START_TIMEOUT_MS = 10 * 60_000;
const DOCKER_PROBE_TIMEOUT_MS = 5_000;

export async function resolveKafka(): Promise<ResolvedKafka> {
  const named = parseList(process.env.KAFKA_BROKERS);
  if (named.length > 0) return { brokers: named, how: 'env', stop: async () => {} };

  if (await dockerReachable()) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      // Same behaviour as the local broker, so a test cannot pass on one and fail on the other.
      .withEnvironment({
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_NUM_PARTITIONS: '6',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .start();
    return {
      brokers: [`${container.getHost()}:${container.getMappedPort(9093)}`],
      how: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  }

  return startLocalBroker();
}

/**
 * `broker.sh start` reuses a broker that is already running for this checkout's state
 * dir. stop() stops the broker only when this call started it: a fresh clone or CI job
 * leaves no JVM behind, while a developer who keeps one running (`pnpm broker start`)
 * keeps it across test runs and saves its start-up on every run. A process killed before
 * stop() leaves its broker running; the next run reuses it and leaves it running too.
 */
async function startLocalBroker(): Promise<ResolvedKafka> {
  const port = process.env.KAFKA_PORT ?? '9092';
  const { stdout } = await runBrokerScript('start');
  const startedHere = /^started\b/m.test(stdout);
  return {
    brokers: [`127.0.0.1:${port}`],
    how: 'local',
    stop: async () => {
      if (startedHere) await runBrokerScript('stop');
    },
  };
}

export async function resolveClickHouse(): Promise<ResolvedClickHouse> {
  const url = process.env.CLICKHOUSE_URL?.trim();
  if (url) {
    return {
      how: 'env',
      target: {
        kind: 'server',
        url,
        username: process.env.CLICKHOUSE_USER,
        password: process.env.CLICKHOUSE_PASSWORD,
        database: process.env.CLICKHOUSE_DATABASE,
      },
      stop: async () => {},
    };
  }

  if (await dockerReachable()) {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const container = await new ClickHouseContainer(CLICKHOUSE_IMAGE).start();
    return {
      how: 'testcontainers',
      target: {
        kind: 'server',
        url: container.getHttpUrl(),
        username: container.getUsername(),
        password: container.getPassword(),
        database: container.getDatabase(),
      },
      stop: async () => {
        await container.stop();
      },
    };
  }

  // A fresh dir per call: one chDB data dir belongs to one process, and tests must not
  // see each other's tables.
  const path = await mkdtemp(join(tmpdir(), 'switchboard-chdb-'));
  return {
    how: 'embedded',
    target: { kind: 'embedded', path },
    stop: async () => {
      await rm(path, { recursive: true, force: true });
    },
  };
}

let dockerProbe: Promise<boolean> | undefined;

/**
 * testcontainers' own runtime detection (DOCKER_HOST, ~/.testcontainers.properties,
 * the docker socket, rootless and remote strategies), asked once per process. Where no
 * engine runs it rejects within milliseconds; the timeout covers an engine that is
 * configured but hangs, so the harness falls back instead of stalling every run.
 */
export function dockerReachable(): Promise<boolean> {
  dockerProbe ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      const probe = getContainerRuntimeClient().then(
        () => true,
        () => false,
      );
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), DOCKER_PROBE_TIMEOUT_MS);
        timer.unref();
      });
      return await Promise.race([probe, timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  })();
  return dockerProbe;
}

function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function runBrokerScript(command: 'start' | 'stop'): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [BROKER_SCRIPT, command],
      { timeout: BROKER_START_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (error, stdout, stderr) => {
        if (error) {
          // The script prints the broker's log tail on failure; that is the diagnosis.
          const why = error.killed ? `timed out after ${BROKER_START_TIMEOUT_MS / 1000} s` : `exit ${error.code ?? error.signal}`;
          reject(new Error(`deploy/kafka/broker.sh ${command} failed (${why})\n${stderr}`.trimEnd()));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}
