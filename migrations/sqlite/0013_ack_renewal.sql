-- Acknowledgments that renew (issue 17). Nothing is rewritten: a renewal opens a new round, and
-- a confirmation counts while it belongs to the article's current round (and has not lapsed).

-- The rule: none (both null/empty), every N days after a person's own confirmation, or on fixed
-- Vietnam dates each year ("09-01,03-15") with a due date renew_due_days after the round opens.
alter table ack_settings add column renew_every_days integer;
alter table ack_settings add column renew_on text not null default '';
alter table ack_settings add column renew_due_days integer;
-- The round people confirm now; ack_rounds holds every round after the first.
alter table ack_settings add column current_round integer not null default 1;

-- The round a confirmation belongs to (earlier rows: the first).
alter table ack_events add column round integer not null default 1;

-- Rounds opened by the scheduler on a fixed date. The unique keys make two instances open a
-- round once.
create table ack_rounds (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    round integer not null,
    -- The Vietnam date the round is for, yyyy-mm-dd (its year names it: "năm 2019").
    opens_on text not null,
    opened_at text not null,
    due_at text,
    unique (article_id, round),
    unique (article_id, opens_on)
);

-- Confirmations that lapsed under an N-day rule, one row each, written by the scheduler: the
-- event itself stays as it was, and "standing" is a primary-key lookup here.
create table ack_lapses (
    event_id integer primary key references ack_events (id) on delete cascade,
    lapsed_at text not null
);
