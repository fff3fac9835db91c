// Reading a config file (main or include) without ever blocking on it: open() of a FIFO waits
// for a writer forever and a character device never ends, so only regular files are read.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Reads a regular file. Anything else fails with an errno-style error: EISDIR for a directory,
 * ENOTREG ("not a regular file") for a FIFO, socket or device. O_NONBLOCK makes the open of a
 * FIFO return at once, and the type is taken from the opened descriptor, so nothing can be
 * swapped in between the check and the read.
 */
export function readRegularFile(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${file}'`), { code: 'EISDIR' });
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
