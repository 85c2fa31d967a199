-- Background jobs (SQLite): their last state, their runs, and per-tick claims so that a job
-- scheduled on several instances does its work once. PostgreSQL has the same in migrations/postgres.

-- One row per registered job, updated by every run on any instance.
create table jobs (
    name text primary key,
    schedule text not null,
    last_started_at text,
    last_finished_at text,
    last_outcome text check (last_outcome in ('ok', 'error')),
    last_items integer not null default 0,
    last_error text not null default '',
    last_instance text not null default '',
    last_failure_at text,
    created_at text not null,
    updated_at text not null
);

-- Runs that did something or failed (a run every second that found nothing is not kept).
create table job_runs (
    id integer primary key,
    job text not null,
    instance text not null,
    started_at text not null,
    finished_at text not null,
    outcome text not null check (outcome in ('ok', 'error')),
    items integer not null default 0,
    error text not null default ''
);

create index job_runs_by_job on job_runs (job, started_at);

-- A job whose work must be done once per tick (not once per instance) claims the tick here:
-- the first instance to insert (job, slot) runs it; the others see the conflict and skip.
create table job_claims (
    job text not null,
    slot text not null,
    instance text not null,
    claimed_at text not null,
    primary key (job, slot)
);
