import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const warningsModule = fileURLToPath(new URL('../../../transport/kafka/warnings.ts', import.meta.url));

describe('kafka TimeoutNegativeWarning filter', () => {
  it('drops exactly the TimeoutNegativeWarning and lets every other warning through', async () => {
    const script = `
      const { filterKafkajsTimeoutWarning } = await import(${JSON.stringify(warningsModule)});
      filterKafkajsTimeoutWarning();
      setTimeout(() => {}, -5);
      process.emitWarning('still shown', 'OtherWarning');
      process.emitWarning('shown too');
    `;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(stderr).to.not.include('TimeoutNegativeWarning');
    expect(stderr).to.include('OtherWarning: still shown');
    expect(stderr).to.include('Warning: shown too');
  });

  it('is needed: without the filter Node reports the negative timeout', async () => {
    const { stderr } = await run(process.execPath, ['-e', 'setTimeout(() => {}, -5)']);
    expect(stderr).to.include('TimeoutNegativeWarning');
  });
});
