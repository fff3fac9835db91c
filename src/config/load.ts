// Public entry points for reading configuration: the NATS language, or YAML/JSON by file extension.

import path from 'node:path';
import { ProxyError } from '../errors.js';
import { readRegularFile } from './read-file.js';
import { readErrorReason, LocatedError, parseNats, type ParseOptions } from './parser.js';
import type { ConfMap } from './tree.js';
import { parseYamlOrJson } from './yaml-json.js';

export type { ParseOptions } from './parser.js';

function located<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LocatedError) throw new ProxyError('ERR_CONFIG_PARSE', e.message, { cause: e });
    throw e;
  }
}

/**
 * Parses NATS-language config text. Includes are resolved relative to dirname(file), or to the
 * working directory when file is ''. Errors: ProxyError ERR_CONFIG_PARSE '<file>:<line>:<col>: <message>'.
 */
export function parseConfigText(text: string, file: string, opts?: ParseOptions): ConfMap {
  return located(() => parseNats(text, file, opts));
}

/** Reads a config file: .yaml/.yml/.json through the yaml package, anything else as the NATS language. */
export function loadConfigFile(file: string, opts?: ParseOptions): ConfMap {
  let data: Buffer;
  try {
    data = readRegularFile(file);
  } catch (e) {
    throw new ProxyError('ERR_CONFIG_READ', `${file}: ${readErrorReason(e)}`, { cause: e });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') {
    return located(() => parseYamlOrJson(data.toString('utf8'), file));
  }
  return located(() => parseNats(data, file, opts));
}
