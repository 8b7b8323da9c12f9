import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { Command } from 'commander';
import { commandNameIn } from '../../cli/commands/index.ts';
import { buildProgram } from '../../cli/program.ts';

const PMA = new URL('../../cli/pma.ts', import.meta.url).pathname;

function pma(...args: string[]) {
  const r = spawnSync(process.execPath, [PMA, ...args], { encoding: 'utf8', env: { ...process.env, PMA_LOG_LEVEL: 'silent' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli/pma', () => {
  it('prints its version with the Node version it runs on, which is 24', () => {
    const r = pma('--version');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^pma \d+\.\d+\.\d+ \(node v24\.\d+\.\d+\)/);
  });

  it('lists every subcommand in --help', () => {
    const r = pma('--help');
    expect(r.code).to.equal(0);
    for (const c of ['run', 'ingest', 'process', 'sink', 'replay', 'gold', 'sim', 'tagger', 'bench', 'status', 'topics', 'registry']) {
      expect(r.stdout).to.match(new RegExp(`^  ${c}\\b`, 'm'));
    }
  });

  it('exits 2 with one line for an unknown command, an unknown flag or a bad value', () => {
    for (const args of [['frobnicate'], ['status', '--bogus'], ['--transport', 'pigeon', 'status'], ['--log-format', 'xml', 'status']]) {
      const r = pma(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
    expect(pma('--transport', 'pigeon', 'status').stderr).to.contain('--transport');
  });

  it('finds the subcommand past global options and their values, so only its module loads', async () => {
    const program = new Command().option('--data-dir <dir>').option('--log-level <level>').option('--check-config');
    expect(commandNameIn(program, ['sim', '--port', '0'])).to.equal('sim');
    expect(commandNameIn(program, ['--data-dir', 'status', 'sim'])).to.equal('sim');
    expect(commandNameIn(program, ['--data-dir=x', '--check-config', 'ingest'])).to.equal('ingest');
    expect(commandNameIn(program, ['--log-level', 'error'])).to.equal(undefined);
    expect(commandNameIn(program, ['--', 'run'])).to.equal('run');
    const only = await buildProgram(['--data-dir', 'gold', 'sim']);
    expect(only.commands.map((c) => c.name())).to.deep.equal(['sim']);
    const all = await buildProgram(['help']);
    expect(all.commands.map((c) => c.name())).to.include.members(['run', 'sim', 'gold', 'registry']);
  });

  it('runs the command named after a global option whose value is another command name', () => {
    const r = pma('--log-level', 'error', '--data-dir', 'gold', 'sim', '--help');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^Usage: pma sim/m);
  });
});
