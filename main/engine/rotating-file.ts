/**
 * An append-only text file capped in size: when `file` would pass `maxBytes`, it becomes `file.1`
 * (replacing the older one) and a new `file` is begun. At most `files` × `maxBytes` on disk.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RotatingFile {
  readonly path: string;
  append(line: string): void;
  /** The kept lines, oldest first (rotated files first). */
  readLines(): string[];
}

export function createRotatingFile(file: string, opts: { maxBytes?: number; files?: number } = {}): RotatingFile {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const files = Math.max(1, opts.files ?? 2);
  const nth = (i: number): string => (i === 0 ? file : `${file}.${i}`);
  let size: number | null = null;

  const rotate = (): void => {
    rmSync(nth(files - 1), { force: true });
    for (let i = files - 2; i >= 0; i--) if (existsSync(nth(i))) renameSync(nth(i), nth(i + 1));
    size = 0;
  };

  return {
    path: file,
    append(line) {
      const text = line.endsWith('\n') ? line : `${line}\n`;
      const bytes = Buffer.byteLength(text);
      if (size === null) {
        mkdirSync(path.dirname(file), { recursive: true });
        size = existsSync(file) ? statSync(file).size : 0;
      }
      if (size > 0 && size + bytes > maxBytes) rotate();
      if (files === 1 && bytes > maxBytes) return; // a line larger than the cap is never kept
      appendFileSync(file, text, { mode: 0o600 });
      size += bytes;
    },
    readLines() {
      const out: string[] = [];
      for (let i = files - 1; i >= 0; i--) {
        if (!existsSync(nth(i))) continue;
        out.push(...readFileSync(nth(i), 'utf8').split('\n').filter((l) => l.length > 0));
      }
      return out;
    },
  };
}
