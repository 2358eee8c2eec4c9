-- Up Migration
-- The W3C trace context (traceparent, tracestate) of the operation that wrote the event, when it was
-- traced: the relay sends it in the message headers, so the consumers' spans join that trace.
alter table outbox add column trace_context jsonb;

-- Down Migration
alter table outbox drop column trace_context;
