import { ResponseError } from 'vscode-languageserver';
import { RpcErrorCode, toSlayerError, type SlayerErrorData } from '../../../shared/src/errors';

/** A typed JSON-RPC error: the client shows the message and can branch on the code. */
export function toResponseError(error: unknown): ResponseError<SlayerErrorData> {
  const slayerError = toSlayerError(error);
  return new ResponseError(RpcErrorCode[slayerError.code], slayerError.message, slayerError.toData());
}
