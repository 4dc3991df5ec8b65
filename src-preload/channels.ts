/** IPC channel names, kept apart from api.ts so the sandboxed preload bundle carries no schema code. */
export const IPC_CALL_CHANNEL = 'b2m:call'
export const IPC_EVENT_CHANNEL = 'b2m:event'
