/** The kinds of error every personac loader raises, the same strings in Python, TypeScript and Rust. */
export type ErrorKind =
  | "missing_variable"
  | "unknown_variable"
  | "too_long"
  | "unknown_persona"
  | "unknown_view"
  | "unknown_stage"
  | "unknown_channel"
  | "unknown_item"
  | "pin_mismatch"
  | "hash_mismatch"
  | "unknown_format";

export const ERROR_KINDS: readonly ErrorKind[] = [
  "missing_variable",
  "unknown_variable",
  "too_long",
  "unknown_persona",
  "unknown_view",
  "unknown_stage",
  "unknown_channel",
  "unknown_item",
  "pin_mismatch",
  "hash_mismatch",
  "unknown_format",
];

/** Every error the loader throws on purpose; `kind` says which. */
export class PersonacError extends Error {
  readonly kind: ErrorKind;
  /** The facts the message is made from: persona, view, variable, the valid names... */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: ErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "PersonacError";
    this.kind = kind;
    this.details = details;
  }
}

/** `a, b, c`, or `none`: the valid choices in a message. */
export function listing(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.join(", ");
}
