-- Additive only: a rolled-back worker version must still run against this schema. Versions from
-- before this migration store events without these columns, which then stay NULL: such an
-- event came through the one scheme those versions knew ("generic"), its type in its payload.
-- Which sender's scheme verified the delivery: github, stripe, standard-webhooks or generic.
ALTER TABLE webhook_events ADD COLUMN provider TEXT;
-- The event type as the sender names it (X-GitHub-Event, the Stripe event's type, ...).
ALTER TABLE webhook_events ADD COLUMN event_type TEXT;
