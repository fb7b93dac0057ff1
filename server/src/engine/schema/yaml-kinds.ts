import * as yaml from 'yaml';

/**
 * The `yaml` package's node predicates, read once. The bundler reaches a
 * CommonJS package's named imports through a getter on every use, and
 * decoding asks a node's kind several times per field of every file: at
 * start-up those getter calls cost more than the predicates themselves.
 */
export const { isAlias, isMap, isNode, isPair, isScalar, isSeq } = yaml;
