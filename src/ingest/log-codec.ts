/**
 * The heartbeat log's on-disk format. A segment is a sequence of frames, one per committed request batch:
 * `u32 LE payload length | u32 LE crc32(payload) | payload`, the payload being UTF-8 lines
 * `ts \t channelId \t pullType \t viewerId \n`. A frame torn by a crash fails its length or checksum and
 * ends the segment: it was never acknowledged, because acknowledgement follows the fsync.
 */
import { crc32 } from 'node:zlib';
import type { Heartbeat } from './heartbeat.js';

const HEADER = 8;

export function encodeFrame(beats: readonly Heartbeat[]): Buffer {
  let text = '';
  for (const b of beats) text += `${b.ts}\t${b.channelId}\t${b.pullType}\t${b.viewerId}\n`;
  return frameOf(text);
}

/** The heartbeats of every intact frame, in order, and the byte offset where intact data ends. */
export function* decodeFrames(data: Buffer): Generator<Heartbeat[], void> {
  let off = 0;
  while (off + HEADER <= data.length) {
    const len = data.readUInt32LE(off);
    const end = off + HEADER + len;
    if (len === 0 || end > data.length) return;
    const payload = data.subarray(off + HEADER, end);
    if (crc32(payload) !== data.readUInt32LE(off + 4)) return;
    yield decodePayload(payload.toString('utf8'));
    off = end;
  }
}

function decodePayload(text: string): Heartbeat[] {
  const beats: Heartbeat[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const line = text.slice(start, nl === -1 ? text.length : nl);
    start = nl === -1 ? text.length : nl + 1;
    const [ts, channelId, pullType, viewerId] = line.split('\t');
    if (ts === undefined || channelId === undefined || pullType === undefined || viewerId === undefined) continue;
    beats.push({ ts: Number(ts), channelId, pullType, viewerId });
  }
  return beats;
}

/**
 * Frames of at most about `maxBytes` each (a single heartbeat line is never split), for logs whose
 * records have a size limit (a JetStream message must fit the server's max payload).
 */
export function encodeChunks(beats: readonly Heartbeat[], maxBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  let text = '';
  let bytes = HEADER;
  for (const b of beats) {
    const line = `${b.ts}\t${b.channelId}\t${b.pullType}\t${b.viewerId}\n`;
    // ids are printable ASCII (heartbeat.ts), so characters are bytes
    if (bytes + line.length > maxBytes && text !== '') {
      frames.push(frameOf(text));
      text = '';
      bytes = HEADER;
    }
    text += line;
    bytes += line.length;
  }
  if (text !== '') frames.push(frameOf(text));
  return frames;
}

function frameOf(text: string): Buffer {
  const frame = Buffer.allocUnsafe(HEADER + Buffer.byteLength(text));
  const len = frame.write(text, HEADER, 'utf8');
  frame.writeUInt32LE(len, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER, HEADER + len)), 4);
  return frame;
}
