/**
 * Tests hold recorded envelopes as text: this feeds them to the engine's own path,
 * EnvelopeDecoder.decodeBuffers, as the Kafka consumer does with the message buffers.
 */
import type { Decoded, EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';

const buf = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'utf8'));

export function decodeText(decoder: EnvelopeDecoder, key: string | null, value: string | null): Decoded {
  return decoder.decodeBuffers(buf(key), buf(value));
}
