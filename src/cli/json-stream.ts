/** The streaming JSON writer lives in the library (`src/util/json-stream.ts`); the CLI uses it from here. */
export * from '../util/json-stream.js';
