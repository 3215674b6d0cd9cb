-- Additive only: a rolled-back worker version must still run against this schema. Versions from
-- before this migration insert events without a state (they start as 'received') and mark them
-- processed through processed_at alone, so processed_at stays the final word on processing.
ALTER TABLE webhook_events ADD COLUMN state TEXT NOT NULL DEFAULT 'received'
  CHECK (state IN ('received', 'enqueued', 'processed'));

-- Events processed before the column existed. Unprocessed ones stay 'received': their
-- processing may never have been enqueued, so the redelivery sweep enqueues it (processing is
-- idempotent, so one that was enqueued after all is not processed twice).
UPDATE webhook_events SET state = 'processed' WHERE processed_at IS NOT NULL;

-- The redelivery sweep's query: oldest events still 'received'.
CREATE INDEX IF NOT EXISTS webhook_events_state ON webhook_events (state, received_at);
