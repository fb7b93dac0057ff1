import { createHash } from 'node:crypto';

/**
 * A YAML model's revision: the hex SHA-256 of the file's exact bytes. Any
 * writer changes it, including ones that know nothing of this product (an
 * editor, git, SLayer), which is what makes the revision check meaningful.
 */
export function revisionOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
