/** `look`, asked once per key and then answered from memory (for one pass over many records). */
export const remembering = <K, V>(look: (key: K) => V): ((key: K) => V) => {
  const known = new Map<K, V>();
  return (key) => {
    if (known.has(key)) return known.get(key) as V;
    const value = look(key);
    known.set(key, value);
    return value;
  };
};
