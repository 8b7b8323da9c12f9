import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { formatDuration, ProgressBoard, summaryTable } from '../../runtime/progress.ts';

describe('runtime/progress', () => {
  it('writes one plain line per task at each interval when not on a terminal', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const board = new ProgressBoard({ stream: out, tty: false, lineIntervalMs: 20 });
    const trades = board.task('trades', 'markets');
    trades.grow(10);
    trades.advance(4);
    trades.add('requests', 12);
    trades.add('records', 500);
    board.start();
    while (!text.includes('task=trades')) await new Promise((r) => setTimeout(r, 10));
    board.stop();
    expect(text).to.match(/progress task=trades done=4 total=10 unit=markets requests=12 records=500/);
  });

  it('ends with an aligned summary table of every task', () => {
    const board = new ProgressBoard({ tty: false });
    const a = board.task('markets', 'pages');
    a.add('requests', 3);
    a.add('records', 3000);
    a.advance(3);
    a.end();
    const b = board.task('leaderboard', 'boards');
    b.grow(88);
    b.advance(88);
    b.add('errors', 1);
    b.end('1 failed');
    const table = board.stop().split('\n');
    expect(table[0]).to.match(/^task\s+done\s+requests\s+records\s+rec\/s\s+throttles\s+retries\s+errors\s+time\s+status$/);
    expect(table[2]).to.match(/^markets\s+3 pages\s+3\s+3000\s+\d+\s+0\s+0\s+0\s+\S+\s+done$/);
    expect(table[3]).to.match(/^leaderboard\s+88\/88 boards\s+0\s+0\s+0\s+0\s+0\s+1\s+\S+\s+1 failed$/);
    expect(new Set(table.slice(2).map((l) => l.indexOf('  ')))).to.have.length.greaterThan(0);
  });

  it('formats durations for people', () => {
    expect(formatDuration(5)).to.equal('5s');
    expect(formatDuration(125)).to.equal('2m05s');
    expect(formatDuration(7_380)).to.equal('2h03m');
    expect(formatDuration(undefined)).to.equal('?');
    expect(summaryTable([])).to.contain('task');
  });
});
