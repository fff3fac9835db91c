// The one error type the codecs throw. `reason` is stable so the connection can log and count
// closes by cause; the codec never throws anything else on bad input.
import { ProxyError } from '../errors.js';

export type CompressionErrorReason =
  | 'bad_crc' // a data chunk's masked CRC-32C does not match its decoded bytes
  | 'bad_block' // an S2/LZ4 block is malformed (bad varint, offset, length, literal overrun, wrong size)
  | 'oversize_chunk' // a chunk (or its declared decoded size) exceeds the format's limit
  | 'unknown_chunk_type' // a reserved unskippable chunk type (0x02–0x7f)
  | 'bad_stream_identifier' // missing first identifier, or one with a wrong length or magic
  | 'output_limit' // one push would decode past the configured cap (decompression bomb)
  | 'truncated'; // the stream ended inside a chunk

export class CompressionError extends ProxyError {
  readonly reason: CompressionErrorReason;
  constructor(reason: CompressionErrorReason, message: string) {
    super('ERR_COMPRESSION', message);
    this.reason = reason;
    this.name = 'CompressionError';
  }
}
