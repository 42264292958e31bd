/**
 * A value already serialized as JSON: `writeJsonDocument` writes its text where the value goes, so
 * a document can carry thousands of pre-serialized entries without turning them back into objects.
 * It may hold the text's UTF-8 bytes instead of the string: a buffer lives outside V8's heap, so
 * thousands of entries held until a document is printed cost the garbage collector nothing. Or it
 * may hold a {@link JsonFiller}, which makes the bytes only when they are written, straight into
 * the writer's own buffer (no memory of their own at all, e.g. a template filled in at print time).
 */
export class JsonText {
  #text: string | undefined;
  readonly #bytes: Uint8Array | undefined;
  readonly #filler: JsonFiller | undefined;

  constructor(text: string | Uint8Array | JsonFiller) {
    if (typeof text === 'string') this.#text = text;
    else if (text instanceof Uint8Array) this.#bytes = text;
    else this.#filler = text;
  }

  /** The JSON text (kept, once asked for: see {@link toString} for a text that is not). */
  get text(): string {
    this.#text ??= this.toString();
    return this.#text;
  }

  /** The JSON text, made again at each call and not kept (the bytes stay the only copy held). */
  toString(): string {
    if (this.#text !== undefined) return this.#text;
    const bytes = this.#bytes ?? fillerBytes(this.#filler as JsonFiller);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  /** The UTF-8 bytes it was made from, when it was made from bytes. */
  get bytes(): Uint8Array | undefined {
    return this.#bytes;
  }

  /** What makes its bytes, when it was made from a filler (and its text was not asked for yet). */
  get filler(): JsonFiller | undefined {
    return this.#text === undefined ? this.#filler : undefined;
  }
}

/** JSON text made on demand, into a buffer its caller owns. */
export interface JsonFiller {
  /** The length of its UTF-8 in bytes. */
  readonly byteLength: number;
  /**
   * Writes its UTF-8 into `out` at `at` (the caller leaves `byteLength` bytes of room there) and
   * returns `byteLength`. Throws when its source is gone (the text then cannot be made at all).
   */
  fill(out: Uint8Array, at: number): number;
}

/** A filler's bytes in a buffer of their own. */
export const fillerBytes = (filler: JsonFiller): Buffer => {
  const out = Buffer.allocUnsafe(filler.byteLength);
  const length = filler.fill(out, 0);
  if (length !== out.length) throw new Error(`a JSON filler wrote ${length} bytes, not the ${out.length} it announced`);
  return out;
};
