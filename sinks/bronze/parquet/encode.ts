/**
 * Arrow IPC stream to Parquet bytes with parquet-wasm: ZSTD, statistics on, dictionary encoding
 * off (on this machine it made trade files slower to write and no smaller: 0.73 s vs 0.50 s for
 * 200,000 rows, 18.1 vs 17.8 MB), row groups of at most 128 Ki rows.
 */
import { Compression, Table as WasmTable, type WriterProperties, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node';

export const ROW_GROUP_ROWS = 131_072;

export function encodeParquet(ipcStream: Uint8Array): Uint8Array {
  // writeParquet takes ownership of (and frees) both the table and the properties.
  return writeParquet(WasmTable.fromIPCStream(ipcStream), writerProperties());
}

export function writerProperties(metadata?: Map<string, string>): WriterProperties {
  let builder = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setDictionaryEnabled(false).setMaxRowGroupSize(ROW_GROUP_ROWS).setCreatedBy('pma bronze sink (parquet-wasm)');
  if (metadata) builder = builder.setKeyValueMetadata(metadata);
  return builder.build();
}
