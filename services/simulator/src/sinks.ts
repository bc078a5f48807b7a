import type { ContactEvent } from '@switchboard/events';
import type { EventPublisher } from '@switchboard/kafka';
import type { Sink } from './pace';

/** Sends batches to an ingest service as NDJSON; a non-2xx answer fails the batch so the simulator retries it. */
export function httpSink(baseUrl: string, tenant: string): Sink {
  const url = `${baseUrl.replace(/\/$/, '')}/v1/events`;
  return async (events: ContactEvent[]) => {
    const r = await fetch(url, {
      method: 'POST',
      body: events.map((e) => JSON.stringify(e)).join('\n'),
      headers: { 'content-type': 'application/x-ndjson', 'x-tenant-id': tenant },
    });
    if (r.status !== 202) throw new Error(`ingest answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
  };
}

/** Publishes straight to Kafka as the producer SDK does, bypassing HTTP. */
export function kafkaSink(publisher: EventPublisher, chunk = 2000): Sink {
  return async (events: ContactEvent[]) => {
    for (let i = 0; i < events.length; i += chunk) await publisher.publish(events.slice(i, i + chunk));
  };
}
