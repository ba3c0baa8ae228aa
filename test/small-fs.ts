/**
 * A real small file system for disk-full tests: a tmpfs of a given size mounted on a temp dir (needs root,
 * which CI has here; without it the mount fails loudly, never skips), and a filler file that takes every
 * free byte until the kernel says ENOSPC.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers.js';

export interface SmallFs {
  dir: string;
  /** writes a file until the file system is full; returns its path */
  fill(): string;
  /** removes the filler, giving the space back */
  free(): void;
  unmount(): void;
}

export function mountSmallFs(bytes: number): SmallFs {
  const dir = tempDir('live-ccv-smallfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`the disk-full tests need to mount a tmpfs (run as root): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (let size = chunk.length; size >= 1; ) {
          try {
            fs.writeSync(fd, chunk, 0, size);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
            size = Math.floor(size / 2); // take the last partial pages too
          }
        }
      } finally {
        fs.closeSync(fd);
      }
      return filler;
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
