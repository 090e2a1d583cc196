/**
 * The server's Server-Sent Events (/_play/events) as window events: play:request (a log entry),
 * play:history (the log so far, on connect), play:store (the store changed), play:faults (the
 * faults switched on), play:lesson (a lesson started or ended). EventSource reconnects by itself;
 * the connection state shows in the header.
 */
export function connectEvents() {
  const source = new EventSource('/_play/events');
  const status = document.getElementById('live-status');
  for (const name of ['request', 'history', 'store', 'faults', 'lesson']) {
    source.addEventListener(name, (event) => window.dispatchEvent(new CustomEvent(`play:${name}`, { detail: JSON.parse(event.data) })));
  }
  source.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'live on';
  });
  source.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'live off';
  });
  return source;
}
