/**
 * Where the Kafka suites find a broker (and the schema registry beside it):
 * 1. KAFKA_BROKERS (and SCHEMA_REGISTRY_URL) when set: CI, or after `npm run kafka:up`.
 * 2. Outside CI, testcontainers' Kafka when a Docker engine answers; the registry is then
 *    `pma registry serve` in a child process.
 * 3. Otherwise the suites are pending, their titles saying why and how to run them
 *    (test/prerequisite.ts). With CI=true a missing broker fails them instead, and Docker is not
 *    tried: CI starts its own broker.
 *
 * `control` stops and starts the broker on the same data (for the restart test): through
 * kafka.sh for a broker it started, through the container otherwise.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const repoRoot = new URL('../../../', import.meta.url).pathname;
export const kafkaScript = join(repoRoot, 'transport/kafka/broker/kafka.sh');

export interface BrokerControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface KafkaTestEnv {
  brokers: string[];
  /** Confluent-compatible registry URL, when one runs beside the broker. */
  registryUrl: string | undefined;
  /** How the broker was found, for test titles and messages. */
  source: string;
  /** Undefined when this process cannot restart the broker it was given. */
  control: BrokerControl | undefined;
}

export type KafkaAvailability = { env: KafkaTestEnv; missing?: undefined } | { env?: undefined; missing: string };

const HOW_TO = 'run `npm run kafka:up`, export the lines it prints, then `npm test` (`npm run kafka:down` stops it)';

function kafkaShControl(state: string): BrokerControl | undefined {
  if (!existsSync(join(state, 'broker.pid')) || !existsSync(join(state, 'server.properties'))) return undefined;
  const env = { ...process.env, PMA_KAFKA_STATE: state };
  const run = async (cmd: string) => {
    await exec('bash', [kafkaScript, cmd], { env, cwd: repoRoot });
  };
  return { stop: () => run('stop-broker'), start: () => run('start-broker') };
}

/** The kafka.sh state dir matching the given brokers, if kafka.sh started them. */
function kafkaShState(brokers: string[]): string | undefined {
  const state = process.env.PMA_KAFKA_STATE ?? join(repoRoot, '.ci/work/kafka');
  const envFile = join(state, 'env');
  if (!existsSync(envFile)) return undefined;
  const m = /KAFKA_BROKERS=(\S+)/.exec(readFileSync(envFile, 'utf8'));
  return m && m[1] === brokers.join(',') ? state : undefined;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const { connect } = await import('node:net');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A registry for a broker we did not start with kafka.sh: `pma registry serve` on a free port. */
async function startRegistry(): Promise<string> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'pma-test-registry-'));
  const child = spawn(process.execPath, [join(repoRoot, 'cli/pma.ts'), '--data-dir', dataDir, 'registry', 'serve', '--host', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
  process.once('exit', () => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  await waitForPort(port, child, 'pma registry serve', 20_000);
  return `http://127.0.0.1:${port}`;
}

/** Kafka 4 in KRaft mode in a container, advertised on a fixed free host port so restarts keep it. */
async function startContainer(): Promise<KafkaTestEnv> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  const container = await new GenericContainer('apache/kafka:4.3.1')
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_LOG_CLEANER_BACKOFF_MS: '1000',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return {
    brokers: [`127.0.0.1:${port}`],
    registryUrl: await startRegistry(),
    source: 'testcontainers apache/kafka',
    control: {
      stop: async () => {
        await container.stop({ remove: false });
      },
      start: async () => {
        await container.restart();
      },
    },
  };
}

let found: Promise<KafkaAvailability> | undefined;

async function find(): Promise<KafkaAvailability> {
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length > 0) {
    const state = kafkaShState(brokers);
    return {
      env: {
        brokers,
        registryUrl: process.env.SCHEMA_REGISTRY_URL || undefined,
        source: state ? 'kafka.sh broker' : 'KAFKA_BROKERS',
        control: state ? kafkaShControl(state) : undefined,
      },
    };
  }
  if (process.env.CI === 'true') return { missing: `KAFKA_BROKERS is not set (${HOW_TO})` };
  if (await dockerAnswers()) return { env: await startContainer() };
  return { missing: `no Kafka broker: KAFKA_BROKERS is not set and no Docker engine answers; ${HOW_TO}` };
}

/** The broker for the Kafka suites; memoised, so every spec file shares one. */
export function kafkaAvailability(): Promise<KafkaAvailability> {
  found ??= find();
  return found;
}

/** A unique, valid topic name per test. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
