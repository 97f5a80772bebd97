/**
 * Generates the packaging icons and tray images into build/ (no ImageMagick needed): PNGs written with
 * node:zlib, shapes drawn as anti-aliased signed-distance fields. Run: `node scripts/make-icons.ts`.
 *   build/icon.png (1024), build/icons/<N>x<N>.png (Linux), build/icon.ico (Windows, PNG-in-ICO),
 *   build/tray/tray-<health>.png (16 px) and tray-<health>@2x.png (32 px), one per TrayHealth.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { TRAY_HEALTHS } from '../main/app/tray-state.ts';
import type { TrayHealth } from '../main/app/tray-state.ts';

type RGBA = [number, number, number, number];
/** Distance to the shape edge in pixels (negative inside), per pixel centre in unit coordinates. */
type Layer = { color: RGBA; sdf: (x: number, y: number) => number };

const circle = (cx: number, cy: number, r: number) => (x: number, y: number) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx: number, cy: number, r: number, w: number) => (x: number, y: number) => Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2;
const box = (cx: number, cy: number, hw: number, hh: number, rr = 0) => (x: number, y: number) => {
  const dx = Math.abs(x - cx) - hw + rr;
  const dy = Math.abs(y - cy) - hh + rr;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0) - rr;
};
const union = (...f: Array<(x: number, y: number) => number>) => (x: number, y: number) => Math.min(...f.map((g) => g(x, y)));

function render(size: number, layers: Layer[]): Buffer {
  const px = Buffer.alloc(size * size * 4);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = (i + 0.5) / size;
      const y = (j + 0.5) / size;
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const l of layers) {
        const cover = Math.min(1, Math.max(0, 0.5 - l.sdf(x, y) * size)) * (l.color[3] / 255);
        r = l.color[0] * cover + r * (1 - cover);
        g = l.color[1] * cover + g * (1 - cover);
        b = l.color[2] * cover + b * (1 - cover);
        a = cover + a * (1 - cover);
      }
      const o = (j * size + i) * 4;
      // colours are accumulated premultiplied; un-premultiply for PNG
      px[o] = a ? Math.round(r / a) : 0; px[o + 1] = a ? Math.round(g / a) : 0; px[o + 2] = a ? Math.round(b / a) : 0; px[o + 3] = Math.round(a * 255);
    }
  }
  return encodePng(size, px);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function encodePng(size: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let j = 0; j < size; j++) rgba.copy(raw, j * (size * 4 + 1) + 1, j * size * 4, (j + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** ICO whose entries are PNGs (Windows Vista+). */
function encodeIco(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2); header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach(({ size, png }, k) => {
    const o = k * 16;
    dir[o] = size >= 256 ? 0 : size; dir[o + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, o + 4); dir.writeUInt16LE(32, o + 6);
    dir.writeUInt32LE(png.length, o + 8); dir.writeUInt32LE(offset, o + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.png)]);
}

const WHITE: RGBA = [255, 255, 255, 255];
const COLORS: Record<TrayHealth, RGBA> = {
  ok: [46, 160, 67, 255], syncing: [31, 111, 235, 255], stale: [219, 145, 0, 255], error: [207, 34, 46, 255], paused: [110, 118, 129, 255],
};
/** Each state differs by shape as well as colour (colour-blind users, monochrome trays). */
const GLYPH: Record<TrayHealth, (x: number, y: number) => number> = {
  ok: circle(0.5, 0.5, 0.14),
  syncing: ring(0.5, 0.5, 0.2, 0.1),
  stale: box(0.5, 0.5, 0.06, 0.24, 0.03),
  error: box(0.5, 0.5, 0.24, 0.07, 0.03),
  paused: union(box(0.39, 0.5, 0.055, 0.2), box(0.61, 0.5, 0.055, 0.2)),
};

function trayImage(h: TrayHealth, size: number): Buffer {
  return render(size, [{ color: COLORS[h], sdf: circle(0.5, 0.5, 0.47) }, { color: WHITE, sdf: GLYPH[h] }]);
}

function appIcon(size: number): Buffer {
  return render(size, [
    { color: [22, 44, 84, 255], sdf: box(0.5, 0.5, 0.46, 0.46, 0.2) },
    { color: [88, 166, 255, 255], sdf: ring(0.4, 0.5, 0.2, 0.07) },
    { color: [46, 160, 67, 230], sdf: ring(0.6, 0.5, 0.2, 0.07) },
  ]);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'build');
mkdirSync(path.join(build, 'icons'), { recursive: true });
mkdirSync(path.join(build, 'tray'), { recursive: true });
writeFileSync(path.join(build, 'icon.png'), appIcon(1024));
for (const n of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(path.join(build, 'icons', `${n}x${n}.png`), appIcon(n));
writeFileSync(path.join(build, 'icon.ico'), encodeIco([16, 24, 32, 48, 64, 256].map((size) => ({ size, png: appIcon(size) }))));
for (const h of TRAY_HEALTHS) {
  writeFileSync(path.join(build, 'tray', `tray-${h}.png`), trayImage(h, 16));
  writeFileSync(path.join(build, 'tray', `tray-${h}@2x.png`), trayImage(h, 32));
}
console.log(`icons written to ${path.relative(process.cwd(), build) || build}`);
