/**
 * Suites that need something a machine may lack: a Kafka broker, a Python with pyarrow or
 * confluent-kafka, Chromium.
 *
 * Outside CI such a suite is still defined, with every test pending and the reason in the suite's
 * title, so `N pending` in mocha's summary says what did not run and the spec reporter says why
 * (a suite that is simply not defined looks the same as one that passed). In CI (CI=true) the
 * prerequisites are installed by .ci/run, so a missing one fails the suite instead: a skip there
 * would hide a broken setup.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const inCi = () => process.env.CI === 'true';

/** Reasons already printed: with the dot reporter the title is never shown, so each is said once. */
const said = new Set<string>();

/**
 * `describe(title, body)` when `missing` is undefined. Otherwise the suite is pending with the
 * reason (outside CI) or fails in a before hook (CI). The body still runs to collect the tests'
 * titles, so it must not touch the missing thing at definition time, only in hooks and tests.
 */
export function describeNeeding(title: string, missing: string | undefined, body: (this: Mocha.Suite) => void): void {
  if (missing === undefined) {
    describe(title, body);
    return;
  }
  if (inCi()) {
    describe(title, function () {
      before(() => {
        throw new Error(`CI=true but ${missing}`);
      });
      body.call(this);
    });
    return;
  }
  sayOnce(missing);
  describe.skip(`${title} [pending: ${missing}]`, body);
}

/** `describeNeeding` for one test in a suite that otherwise runs. */
export function itNeeding(title: string, missing: string | undefined, fn: Mocha.AsyncFunc): void {
  if (missing === undefined) it(title, fn);
  else if (inCi()) {
    it(title, () => {
      throw new Error(`CI=true but ${missing}`);
    });
  } else {
    sayOnce(missing);
    it.skip(`${title} [pending: ${missing}]`);
  }
}

function sayOnce(missing: string): void {
  if (said.has(missing)) return;
  said.add(missing);
  process.stderr.write(`pending: ${missing}\n`);
}

const HOW_TO_CHROMIUM = 'set PMA_CHROMIUM, or: apt-get install -y chromium';

/** Chromium for the browser tests: $PMA_CHROMIUM, else Debian's /usr/bin/chromium. */
export function chromiumPath(): { chromium: string; missing?: undefined } | { chromium: string; missing: string } {
  const chromium = process.env.PMA_CHROMIUM || '/usr/bin/chromium';
  return existsSync(chromium) ? { chromium } : { chromium, missing: `no Chromium at ${chromium} (${HOW_TO_CHROMIUM})` };
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const VENV_PYTHON = `${repoRoot}.ci/venv/bin/python`;
const HOW_TO_PYTHON = 'set PMA_PYTHON, or run: bash .ci/python-venv.sh';

export type PythonAvailability = { python: string; missing?: undefined } | { python?: undefined; missing: string };

const probed = new Map<string, PythonAvailability>();

/**
 * $PMA_PYTHON, else the venv .ci/python-venv.sh makes, if it can import every one of `modules`.
 * Importing them (not just finding the binary) keeps a venv without, say, polars from failing
 * the suite halfway instead of marking it pending.
 */
export function pythonWith(modules: string[]): PythonAvailability {
  const key = modules.join(',');
  const known = probed.get(key);
  if (known) return known;
  let found: PythonAvailability;
  const python = process.env.PMA_PYTHON || (existsSync(VENV_PYTHON) ? VENV_PYTHON : undefined);
  if (!python) {
    found = { missing: `no Python with ${modules.join(', ')} (${HOW_TO_PYTHON})` };
  } else {
    const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) found = { python };
    else {
      const why = r.error?.message || r.stderr.trim().split('\n').at(-1) || `exit ${r.status}`;
      found = { missing: `${python} cannot import ${modules.join(', ')}: ${why} (${HOW_TO_PYTHON})` };
    }
  }
  probed.set(key, found);
  return found;
}
