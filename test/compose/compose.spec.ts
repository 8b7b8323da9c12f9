/**
 * docker-compose.yml, checked without a Docker engine: every image is pinned, every named volume
 * and port is declared and well-formed, every service has a restart policy and a health check,
 * and each pma service's command and environment are accepted by the CLI (`--check-config`).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const PMA = join(root, 'cli/pma.ts');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = Object.entries(compose.services);
const isPma = (s: Service) => s.build !== undefined;

/** Compose's `${NAME:-default}` interpolation, with the defaults (the file must not need any variable set). */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    if (fallback === undefined) throw new Error(`docker-compose.yml needs \${${name}} set`);
    return fallback;
  });
}

async function checkConfig(command: string[], environment: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [k, v] of Object.entries(environment)) env[k] = interpolate(String(v));
  return exec(process.execPath, [PMA, ...command, '--check-config'], { env, cwd: root, timeout: 30_000 });
}

describe('docker-compose.yml', () => {
  it('has Kafka in KRaft mode from the official image, a Confluent-compatible registry, and the four pipeline parts', () => {
    const kafka = compose.services.kafka!;
    expect(kafka.image).to.match(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).to.equal('broker,controller');
    expect(compose.services['schema-registry']?.image).to.match(/^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/);
    const commands = services.filter(([, s]) => isPma(s)).map(([, s]) => s.command?.[0]);
    expect(commands).to.include.members(['ingest', 'process', 'sink', 'tagger']);
  });

  it('pins every image and gives every long-running service a restart policy and a health check', () => {
    for (const [name, s] of services) {
      expect(s.image, `${name} image`).to.be.a('string');
      expect(s.image, `${name} image tag`).to.match(/:[\w.-]+$/);
      expect(s.image, `${name} image tag`).to.not.match(/:latest$/);
      expect(['always', 'unless-stopped', 'on-failure'], `${name} restart`).to.include(s.restart);
      if (s.healthcheck?.disable) {
        expect(s.restart, `${name} is a one-shot job`).to.equal('on-failure');
        continue;
      }
      expect(s.healthcheck?.test, `${name} healthcheck`).to.be.an('array').that.is.not.empty;
    }
  });

  it('declares every named volume it mounts, and mounts every volume it declares', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set<string>();
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const [source, target] = v.split(':');
        expect(target, `${name} volume ${v}`).to.match(/^\//);
        if (source!.startsWith('.') || source!.startsWith('/')) continue;
        expect(declared.has(source!), `${name} mounts undeclared volume ${source}`).to.equal(true);
        used.add(source!);
      }
    }
    expect([...declared].sort()).to.deep.equal([...used].sort());
  });

  it('publishes well-formed ports, no host port twice, and health checks probe the ports the services serve', () => {
    const hostPorts = new Set<string>();
    for (const [name, s] of services) {
      for (const p of s.ports ?? []) {
        const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d{1,5}):(\d{1,5})$/.exec(p);
        expect(m, `${name} port ${p}`).to.not.equal(null);
        const key = `${m![1] ?? '0.0.0.0'}:${m![2]}`;
        expect(hostPorts.has(key), `host port ${key} published twice`).to.equal(false);
        hostPorts.add(key);
        expect(Number(m![2])).to.be.within(1, 65_535);
      }
    }
    for (const [name, s] of services.filter(([, s]) => isPma(s))) {
      const probe = (s.healthcheck?.test ?? []).join(' ');
      const probed = /127\.0\.0\.1:(\d+)/.exec(probe)?.[1];
      if (probed) {
        expect(s.command!.join(' '), `${name} serves the port its health check probes`).to.include(probed);
        expect(
          (s.ports ?? []).some((p) => p.endsWith(`:${probed}`)),
          `${name} publishes ${probed}`,
        ).to.equal(true);
      }
    }
  });

  it('depends only on services it declares, and waits for the broker and registry to be healthy', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, s] of services) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(names.has(dep), `${name} depends on ${dep}`).to.equal(true);
    }
    const topics = services.find(([, s]) => s.command?.[0] === 'topics')?.[1];
    expect(topics?.depends_on).to.deep.equal({ kafka: { condition: 'service_healthy' }, 'schema-registry': { condition: 'service_healthy' } });
  });

  for (const [name, service] of services.filter(([, s]) => isPma(s))) {
    it(`${name}: \`pma ${service.command!.join(' ')}\` with its environment passes --check-config on Kafka`, async function () {
      this.timeout(60_000);
      expect(service.command!.join(' '), `${name} runs on Kafka`).to.include('--transport kafka');
      const { stdout } = await checkConfig(service.command!, service.environment ?? {});
      expect(stdout).to.match(/configuration OK \(kafka kafka:19092, registry http:\/\/schema-registry:8081\)/);
    });
  }

  it('fails the check, with exit code 2, when a service setting is bad', async function () {
    this.timeout(60_000);
    const sink = services.find(([, s]) => s.command?.[0] === 'sink')![1];
    let error: (Error & { code?: number; stderr?: string }) | undefined;
    try {
      await checkConfig(sink.command!, { ...sink.environment, PMA_SINK_ROLL_ROWS: 'many' });
    } catch (err) {
      error = err as Error & { code?: number; stderr?: string };
    }
    expect(error?.code).to.equal(2);
    expect(error?.stderr).to.include('PMA_SINK_ROLL_ROWS');
  });
});
