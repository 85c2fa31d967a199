-- Acknowledgments that renew (issue 17). Nothing is rewritten: a renewal opens a new round, and
-- a confirmation counts while it belongs to the article's current round (and has not lapsed).

-- The rule: none (both null/empty), every N days after a person's own confirmation, or on fixed
-- Vietnam dates each year ("09-01,03-15") with a due date renew_due_days after the round opens.
alter table ack_settings add column renew_every_days bigint;
alter table ack_settings add column renew_on text not null default '';
alter table ack_settings add column renew_due_days bigint;
-- The round people confirm now; ack_rounds holds every round after the first.
alter table ack_settings add column current_round bigint not null default 1;

-- The round a confirmation belongs to (earlier rows: the first).
alter table ack_events add column round bigint not null default 1;

-- Rounds opened by the scheduler on a fixed date. The unique keys make two instances open a
-- round once.
create table ack_rounds (
    id bigint generated always as identity primary key,
    article_id bigint not null references articles (id) on delete cascade,
    round bigint not null,
    -- The Vietnam date the round is for, yyyy-mm-dd (its year names it: "năm 2019").
    opens_on text not null,
    opened_at timestamptz not null,
    due_at timestamptz,
    unique (article_id, round),
    unique (article_id, opens_on)
);

-- Confirmations that lapsed under an N-day rule, one row each, written by the scheduler: the
-- event itself stays as it was, and "standing" is a primary-key lookup here.
create table ack_lapses (
    event_id bigint primary key references ack_events (id) on delete cascade,
    lapsed_at timestamptz not null
);
