import { expect } from 'chai';
import { type WalkTrade, walkPositions } from '../../gold/tables/positions.ts';

const trade = (n: number, side: string, price: number, size: number, token: bigint | null = 1n, owner = 1n): WalkTrade => ({ tradeSk: BigInt(n), owner, tokenSk: token, side, price, size });

describe('gold position walk (no database)', () => {
  it('a sell of what float sums left is a close, not a close with a sliver unheld', () => {
    const [, , close] = walkPositions([trade(1, 'BUY', 0.5, 0.1), trade(2, 'BUY', 0.5, 0.2), trade(3, 'SELL', 0.6, 0.3)], 100);
    expect(close!.action).to.equal('close');
    expect(close!.unheldShares).to.equal(0);
    expect(close!.heldAfter).to.equal(0);
    expect(close!.realisedPnl).to.be.closeTo(0.03, 1e-12);
  });

  it('the copier sells the fraction the wallet sold of what it held, and nothing after a buy it could not copy', () => {
    const rows = walkPositions([trade(1, 'BUY', 0.25, 1000), trade(2, 'SELL', 0.5, 250), trade(3, 'BUY', 0, 5, 2n), trade(4, 'SELL', 0.5, 5, 2n)], 100);
    // 400 shares for $100; the wallet sells 250 of 1,000 held: the copier 100 of 400 at 0.50 against 0.25.
    expect(rows[1]).to.include({ copierAction: 'sell', copierShares: 100, copierCostBasis: 25, copierProceeds: 50, copierPnl: 25, copierHeldAfter: 300 });
    expect(rows[2]!.copierAction).to.equal('skip-price'); // a price of 0 buys no finite number of shares
    expect(rows[3]).to.include({ action: 'close', copierAction: 'skip-empty', copierShares: 0 });
  });

  it('the copier buys the stake, but never more shares than the wallet got', () => {
    const [small, big] = walkPositions([trade(1, 'BUY', 0.001, 3), trade(2, 'BUY', 0.5, 1000, 2n)], 100);
    expect(small).to.include({ copierShares: 3, copierStake: 0.003 }); // not 100,000 shares nobody sold
    expect(big).to.include({ copierShares: 200, copierStake: 100 });
  });

  it('positions are per wallet and token: a new token or wallet starts flat; a trade without a token is set aside', () => {
    const rows = walkPositions([trade(1, 'BUY', 0.5, 10, 1n, 1n), trade(2, 'SELL', 0.5, 10, 1n, 2n), trade(3, 'SELL', 0.5, 10, null, 2n)], 100);
    expect(rows.map((r) => r.action)).to.deep.equal(['buy', 'unheld', 'unknown-token']);
    expect(rows[1]!.unheldShares).to.equal(10);
  });
});
