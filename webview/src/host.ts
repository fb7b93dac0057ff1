/** The extension on the other side of postMessage: typed both ways, and the view's saved state. */
import type { FromView, ResultsViewState, ToView } from '../../shared/src/results-messages';

interface VsCodeApi {
  postMessage(message: FromView): void;
  getState(): ResultsViewState | undefined;
  setState(state: ResultsViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const host = acquireVsCodeApi();

type PageReply = Extract<ToView, { type: 'page' | 'pageFailed' }>;
const waiting = new Map<number, (reply: PageReply) => void>();
let nextRequest = 1;

/** Asks the extension (and it the server) for rows; answered by a `page` or `pageFailed` message. */
export function requestPage(
  message: Omit<Extract<FromView, { type: 'fetchPage' }>, 'type' | 'requestId'>,
): Promise<{ rows: Record<string, unknown>[]; rowCount: number }> {
  const requestId = nextRequest++;
  host.postMessage({ type: 'fetchPage', requestId, ...message });
  return new Promise((resolve, reject) => {
    waiting.set(requestId, (reply) => {
      if (reply.type === 'page') resolve({ rows: reply.rows, rowCount: reply.rowCount });
      else reject(new Error(reply.message));
    });
  });
}

/** Routes a page reply to its request; false for every other message. */
export function settlePage(message: ToView): message is PageReply {
  if (message.type !== 'page' && message.type !== 'pageFailed') return false;
  waiting.get(message.requestId)?.(message);
  waiting.delete(message.requestId);
  return true;
}
