/**
 * A value already serialized as JSON: `writeJsonDocument` writes its text where the value goes, so
 * a document can carry thousands of pre-serialized entries without turning them back into objects.
 * It may hold the text's UTF-8 bytes instead of the string: a buffer lives outside V8's heap, so
 * thousands of entries held until a document is printed cost the garbage collector nothing.
 */
export class JsonText {
  #text: string | undefined;
  readonly #bytes: Uint8Array | undefined;

  constructor(text: string | Uint8Array) {
    if (typeof text === 'string') this.#text = text;
    else this.#bytes = text;
  }

  /** The JSON text. */
  get text(): string {
    this.#text ??= Buffer.from(this.#bytes as Uint8Array).toString('utf8');
    return this.#text;
  }

  /** The UTF-8 bytes it was made from, when it was made from bytes. */
  get bytes(): Uint8Array | undefined {
    return this.#bytes;
  }
}
