-- Acknowledgments (SQLite): per-article settings, the exact text of every major version, and the
-- append-only events of confirmation and revocation. PostgreSQL has the same in
-- migrations/postgres.

-- Whether and by whom an article must be acknowledged. No row: the article takes none.
create table ack_settings (
    article_id integer primary key references articles (id) on delete cascade,
    -- Staff audience: everyone, or the units in ack_units (with their sub-units).
    staff_all boolean not null default false,
    citizens boolean not null default false,
    due_at text,
    statement text not null check (length(statement) > 0),
    -- After this no new confirmation is taken; existing ones are kept.
    closes_at text,
    -- The major version people must confirm; a major edit increments it.
    current_version integer not null default 1 check (current_version >= 1),
    created_at text not null,
    updated_at text not null
);

create table ack_units (
    article_id integer not null references ack_settings (article_id) on delete cascade,
    unit_id integer not null references units (id) on delete cascade,
    primary key (article_id, unit_id)
);

-- The exact text of each major version, as confirmed: kept for ever, so what anyone confirmed can
-- be shown again. text_hash is the SHA-256 of that text (see ack::confirmed_text).
create table ack_versions (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    version integer not null,
    title text not null,
    body text not null,
    statement text not null,
    text_hash text not null,
    -- Why this version needs confirming again (empty for the first).
    reason text not null default '',
    created_by integer references users (id) on delete set null,
    created_at text not null,
    unique (article_id, version)
);

-- Citizens who confirmed, without an account. Name and contacts are purged after the retention
-- period; locality and dates stay for the anonymous counts.
create table citizens (
    id integer primary key,
    name text,
    phone text,
    email text,
    -- The normalised phone (+84…) or e-mail that identifies a repeat; null once purged.
    contact_key text,
    locality_id integer references localities (id) on delete set null,
    consent_text_hash text not null,
    ip text not null default '',
    created_at text not null,
    purged_at text
);

create index citizens_by_contact on citizens (contact_key);

-- Append-only: a confirmation, or the revocation of one. Status is derived from these rows.
create table ack_events (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    version integer not null,
    kind text not null check (kind in ('confirm', 'revoke')),
    -- Exactly one of the two: a staff member or a citizen.
    user_id integer references users (id) on delete restrict,
    citizen_id integer references citizens (id) on delete set null,
    -- For citizens: the contact key at the time, so repeats are recognised (null once purged).
    contact_key text,
    text_hash text not null,
    -- Who recorded it: the person themselves, or the Office on their behalf (with a note).
    actor_id integer references users (id) on delete set null,
    note text not null default '',
    -- A revocation names the confirmation it revokes and why.
    revokes_id integer references ack_events (id) on delete restrict,
    reason text not null default '',
    -- Confirmations of one person for one version, counted from 0: the n-th after n revocations.
    -- The unique indexes below make a double click record once.
    seq integer not null default 0,
    ip text not null default '',
    created_at text not null,
    check (kind <> 'revoke' or revokes_id is not null)
);

create unique index ack_events_staff_once on ack_events (article_id, version, user_id, seq)
    where kind = 'confirm' and user_id is not null;
create unique index ack_events_citizen_once on ack_events (article_id, version, contact_key, seq)
    where kind = 'confirm' and contact_key is not null;
create index ack_events_by_article on ack_events (article_id, version);
create index ack_events_by_user on ack_events (user_id);

-- Reminders sent (in-app and e-mail), one log row per message and channel.
create table ack_reminders (
    id integer primary key,
    user_id integer not null references users (id) on delete cascade,
    -- 'staff' (your pending items) or 'head' (your unit's overdue staff).
    kind text not null check (kind in ('staff', 'head')),
    channel text not null check (channel in ('in_app', 'email')),
    -- The Vietnam date of the reminder: one per person, kind and channel a day.
    day text not null,
    subject text not null,
    body text not null,
    outcome text not null check (outcome in ('sent', 'failed', 'skipped')),
    error text not null default '',
    read_at text,
    created_at text not null,
    unique (user_id, kind, channel, day)
);

-- Anonymous counts that outlive the purge of citizens' personal data.
create table ack_citizen_counts (
    article_id integer not null references articles (id) on delete cascade,
    -- The Vietnam date, yyyy-mm-dd.
    day text not null,
    -- The locality's slug ('' when none was given).
    locality text not null default '',
    confirmations integer not null default 0,
    primary key (article_id, day, locality)
);
