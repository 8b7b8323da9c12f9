/**
 * The tag tables (Tags, TagExamples, JudgeHistory, MarketTagState, MarketTagDim, TaggerSettings)
 * are a fold of pma.tag-catalog and pma.tag-decisions; TaggerSinkProgress holds the next offset
 * of each, written in the same transaction as the rows, so a restart resumes exactly.
 * TaggerMarkets is the tagger's own market catalogue, fed from pma.markets (the market text the
 * models and reviewers read). Times are TIMESTAMP (UTC).
 */
export const TAG_TABLES = ['Tags', 'TagExamples', 'JudgeHistory', 'MarketTagState', 'MarketTagDim', 'TaggerSettings'] as const;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS Tags (
  tag_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  description VARCHAR NOT NULL,
  is_active BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  created_by VARCHAR NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  updated_by VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS TagExamples (
  tag_id VARCHAR NOT NULL,
  market_id VARCHAR NOT NULL,
  is_positive BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  created_by VARCHAR NOT NULL,
  PRIMARY KEY (tag_id, market_id)
);
CREATE TABLE IF NOT EXISTS JudgeHistory (
  decision_id VARCHAR PRIMARY KEY,
  tag_id VARCHAR NOT NULL,
  market_id VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  decider_kind VARCHAR NOT NULL,
  decider VARCHAR NOT NULL,
  confidence DOUBLE,
  reason VARCHAR,
  rule VARCHAR,
  leaning VARCHAR,
  votes VARCHAR NOT NULL,
  prompt_version VARCHAR,
  via VARCHAR,
  previous VARCHAR,
  decided_at TIMESTAMP NOT NULL,
  log_offset BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS MarketTagState (
  market_id VARCHAR NOT NULL,
  tag_id VARCHAR NOT NULL,
  decision_id VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  decider_kind VARCHAR NOT NULL,
  decided_at TIMESTAMP NOT NULL,
  PRIMARY KEY (market_id, tag_id)
);
CREATE TABLE IF NOT EXISTS MarketTagDim (
  market_id VARCHAR NOT NULL,
  tag_id VARCHAR NOT NULL,
  decision_id VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (market_id, tag_id)
);
CREATE TABLE IF NOT EXISTS TaggerSettings (
  key VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  updated_by VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS TaggerSinkProgress (
  topic VARCHAR NOT NULL,
  partition INTEGER NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS TaggerMarkets (
  market_id VARCHAR PRIMARY KEY,
  question VARCHAR,
  description VARCHAR,
  category VARCHAR,
  slug VARCHAR,
  event_slug VARCHAR,
  volume DOUBLE,
  active BOOLEAN,
  closed BOOLEAN,
  end_ts BIGINT,
  observed_ts BIGINT NOT NULL
);
-- Outcome labels as a JSON array, read for signs of prompt injection (added after the first stores were made)
ALTER TABLE TaggerMarkets ADD COLUMN IF NOT EXISTS outcomes VARCHAR;
-- Whether a tag is archived (added after the first stores were made)
ALTER TABLE Tags ADD COLUMN IF NOT EXISTS is_archived BOOLEAN DEFAULT FALSE;
`;
