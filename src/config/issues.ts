// Validation findings, worded and positioned like nats-server's configErr /
// configWarningErr / unknownConfigFieldErr so users recognise them.
import { formatPos, goTypeName, type ConfValue, type SourcePos } from './tree.js';
import { goQuote } from './go-text.js';

export interface ConfigIssue {
  pos?: SourcePos;
  message: string;
}

/** `file:line:col: message`, or the bare message when there is no position. */
export function formatIssue(i: ConfigIssue): string {
  return i.pos ? `${formatPos(i.pos)}: ${i.message}` : i.message;
}

export type GoType = 'string' | 'int64' | 'float64' | 'bool' | '[]interface {}' | 'map[string]interface {}';

export class IssueSink {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  error(pos: SourcePos | undefined, message: string): void {
    this.errors.push(pos ? { pos, message } : { message });
  }

  /** configWarningErr: `invalid use of field "<field>": <reason>`. */
  fieldWarning(pos: SourcePos | undefined, field: string, reason: string): void {
    this.warning(pos, `invalid use of field ${goQuote(field)}: ${reason}`);
  }

  warning(pos: SourcePos | undefined, message: string): void {
    this.warnings.push(pos ? { pos, message } : { message });
  }

  unknownField(pos: SourcePos, key: string): void {
    this.error(pos, `unknown field ${goQuote(key)}`);
  }

  /** The message Go prints when an unchecked type assertion panics. */
  typeMismatch(pos: SourcePos, got: ConfValue, want: GoType): void {
    this.error(pos, `interface conversion: interface {} is ${goTypeName(got)}, not ${want}`);
  }
}
