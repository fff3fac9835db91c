// The compression layer's public surface (README.md): codecs, CRC, negotiation.
export { CompressionError, type CompressionErrorReason } from './errors.js';
export { crc32c, crc32cTable, crc32cImplementation, maskCrc, maskedCrc32c } from './crc32c.js';
export { FramedDecoder, type DecodedSink, type FramedDecoderLimits, MAX_BLOCK, DEFAULT_MAX_OUTPUT_PER_PUSH } from './framing.js';
export {
  S2Decoder, S2Encoder, type S2DecoderLimits, type S2EncoderOptions, type S2Level, S2_LEVELS,
  S2_IDENTIFIER, SNAPPY_IDENTIFIER, DEFAULT_BLOCK_SIZE, decodeS2Block,
} from './s2.js';
export { Lz4Decoder, Lz4Encoder, LZ4_IDENTIFIER } from './lz4.js';
export {
  negotiateRouteCompression, selectCompressionMode, needsCompression, infoCompressionValue,
  selectS2AutoLevel, initialS2Level, reselectS2AutoLevel, DEFAULT_RTT_THRESHOLDS_MS,
  proxyLinkOffer, selectProxyLinkCodec,
  type RouteCompressionMode, type RouteNegotiation, type ProxyLinkCodec, type ProxyLinkCompression,
} from './negotiate.js';
