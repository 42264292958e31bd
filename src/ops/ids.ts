/** Ids captain creates: sortable by creation time, short enough to type, unique without coordination. */
import { randomBytes } from 'node:crypto';

export const newId = (prefix: string, nowMs: number = Date.now()): string => {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
};
