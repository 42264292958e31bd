/**
 * A value already serialized as JSON: `writeJsonDocument` writes its text where the value goes, so
 * a document can carry thousands of pre-serialized entries without turning them back into objects.
 */
export class JsonText {
  constructor(readonly text: string) {}
}
